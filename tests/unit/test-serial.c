/* test-serial.c - the 16550A console UART, driven through the I/O bus
 * without /dev/kvm: the VM's fd is -1, so raising IRQ 4 fails quietly
 * (the UART just retries on the next change). */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "serial.h"

#define COM1 SERIAL_COM1_BASE

static struct io_bus bus;
static struct kvm_vm vm = { .kvm_fd = -1, .vm_fd = -1 };
static struct serial s;
static int pfd[2] = { -1, -1 };

static void setup(void)
{
	struct lerr e = { 0 };

	io_bus_init(&bus);
	cr_assert_eq(pipe2(pfd, O_NONBLOCK | O_CLOEXEC), 0);
	cr_assert_eq(serial_init(&s, &bus, &vm, pfd[1], &e), 0, "%s", e.msg);
}

static void teardown(void)
{
	io_bus_free(&bus);
	close(pfd[0]);
	close(pfd[1]);
}

TestSuite(serial, .init = setup, .fini = teardown);

static uint8_t inb(uint16_t port)
{
	uint8_t v = 0;

	io_bus_access(&bus, IO_SPACE_PIO, port, &v, 1, false);
	return v;
}

static void outb(uint16_t port, uint8_t v)
{
	io_bus_access(&bus, IO_SPACE_PIO, port, &v, 1, true);
}

static void puts_uart(const char *str)
{
	while (*str)
		outb(COM1, (uint8_t)*str++);
}

/* What the UART has written to the pipe so far. */
static size_t drain(char *buf, size_t cap)
{
	ssize_t n = read(pfd[0], buf, cap - 1);

	if (n < 0) {
		cr_assert_eq(errno, EAGAIN);
		n = 0;
	}
	buf[n] = '\0';
	return (size_t)n;
}

Test(serial, output_written_line_by_line)
{
	char buf[512];

	puts_uart("hello");
	cr_expect_eq(drain(buf, sizeof(buf)), 0, "partial line held back");
	puts_uart(" world\nsecond");
	drain(buf, sizeof(buf));
	cr_expect_str_eq(buf, "hello world\n");
	puts_uart(" line\n");
	drain(buf, sizeof(buf));
	cr_expect_str_eq(buf, "second line\n");
	puts_uart("tail");
	serial_flush(&s);
	drain(buf, sizeof(buf));
	cr_expect_str_eq(buf, "tail");
	cr_expect_null(serial_panic_line(&s));
}

/* A line longer than the buffer goes out in SERIAL_LINE_MAX - 1 chunks. */
Test(serial, long_line_flushed_in_chunks)
{
	char buf[1024];
	char line[600];
	size_t total;

	memset(line, 'x', sizeof(line) - 1);
	line[sizeof(line) - 1] = '\0';
	puts_uart(line);
	total = drain(buf, sizeof(buf));
	cr_expect_eq(total, 2 * (SERIAL_LINE_MAX - 1));
	puts_uart("\n");
	total += drain(buf, sizeof(buf));
	cr_expect_eq(total, sizeof(line), "599 x's and the newline");
}

/* The tail of a chunked line is not the start of a line. */
Test(serial, panic_text_in_continued_line_ignored)
{
	char line[SERIAL_LINE_MAX];

	memset(line, 'x', SERIAL_LINE_MAX - 1);
	line[SERIAL_LINE_MAX - 1] = '\0';
	puts_uart(line);
	puts_uart("Kernel panic - not syncing: not really\n");
	cr_expect_null(serial_panic_line(&s));
	puts_uart("Kernel panic - not syncing: real\n");
	cr_assert_not_null(serial_panic_line(&s));
	cr_expect_str_eq(serial_panic_line(&s),
			 "Kernel panic - not syncing: real");
}

Test(serial, lsr_reports_thre_temt)
{
	cr_expect_eq(inb(COM1 + 5), 0x60);
	puts_uart("x");
	cr_expect_eq(inb(COM1 + 5) & 0x60, 0x60, "transmitter always empty");
	cr_expect_eq(inb(COM1 + 5) & 0x01, 0, "no data ready");
}

Test(serial, dlab_switches_dll_dlm)
{
	outb(COM1 + 1, 0x05); /* IER */
	outb(COM1 + 3, 0x83); /* DLAB, 8N1 */
	outb(COM1 + 0, 0x01); /* DLL: 115200 baud */
	outb(COM1 + 1, 0x02); /* DLM */
	cr_expect_eq(inb(COM1 + 0), 0x01);
	cr_expect_eq(inb(COM1 + 1), 0x02);
	cr_expect_eq(inb(COM1 + 3), 0x83);
	outb(COM1 + 3, 0x03);
	cr_expect_eq(inb(COM1 + 1), 0x05, "IER back without DLAB");
	cr_expect_eq(inb(COM1 + 3), 0x03);

	/* A DLL write while DLAB is set is not transmitted. */
	char buf[64];

	outb(COM1 + 3, 0x83);
	outb(COM1 + 0, '\n');
	outb(COM1 + 3, 0x03);
	serial_flush(&s);
	cr_expect_eq(drain(buf, sizeof(buf)), 0);
}

Test(serial, scratch_register)
{
	outb(COM1 + 7, 0xa5);
	cr_expect_eq(inb(COM1 + 7), 0xa5);
	outb(COM1 + 7, 0x5a);
	cr_expect_eq(inb(COM1 + 7), 0x5a);
}

Test(serial, loopback_echoes_to_rbr)
{
	char buf[64];

	outb(COM1 + 4, 0x10 | 0x0f); /* LOOP | OUT2 | OUT1 | RTS | DTR */
	cr_expect_eq(inb(COM1 + 6) & 0xf0, 0xf0, "MSR follows MCR outputs");
	outb(COM1 + 4, 0x10 | 0x02); /* LOOP | RTS */
	cr_expect_eq(inb(COM1 + 6) & 0xf0, 0x10, "RTS -> CTS only");

	cr_expect_eq(inb(COM1 + 5) & 0x01, 0);
	outb(COM1, 'A');
	outb(COM1, 'B');
	cr_expect_eq(inb(COM1 + 5) & 0x01, 0x01, "data ready");
	cr_expect_eq(inb(COM1), 'A');
	cr_expect_eq(inb(COM1), 'B');
	cr_expect_eq(inb(COM1 + 5) & 0x01, 0);

	/* Nothing reached the console. */
	serial_flush(&s);
	cr_expect_eq(drain(buf, sizeof(buf)), 0);

	/* Out of loopback, output goes to the console again. */
	outb(COM1 + 4, 0x08);
	puts_uart("C\n");
	drain(buf, sizeof(buf));
	cr_expect_str_eq(buf, "C\n");
}

Test(serial, iir_thre_interrupt_acknowledged_by_read)
{
	cr_expect_eq(inb(COM1 + 2) & 0x0f, 0x01, "no interrupt at reset");
	outb(COM1 + 1, 0x02); /* IER.THRI */
	cr_expect_eq(inb(COM1 + 2) & 0x0f, 0x02, "THR empty pending");
	cr_expect_eq(inb(COM1 + 2) & 0x0f, 0x01, "acknowledged by IIR read");
	puts_uart("x");
	cr_expect_eq(inb(COM1 + 2) & 0x0f, 0x02, "pending again after THR");
}

Test(serial, panic_line_captured)
{
	puts_uart("Booting\r\n");
	cr_expect_null(serial_panic_line(&s));
	puts_uart("Kernel panic - not syncing: VFS: Unable to mount root fs\r\n");
	cr_assert_not_null(serial_panic_line(&s));
	cr_expect_str_eq(serial_panic_line(&s),
			 "Kernel panic - not syncing: VFS: Unable to mount "
			 "root fs");
	/* The first panic is kept. */
	puts_uart("Kernel panic - not syncing: second\n");
	cr_expect_str_eq(serial_panic_line(&s),
			 "Kernel panic - not syncing: VFS: Unable to mount "
			 "root fs");
}

Test(serial, panic_line_with_printk_timestamp)
{
	puts_uart("[    0.000000] Linux version 6.1\n");
	puts_uart("[    1.234567] Kernel panic - not syncing: Attempted to "
		  "kill init! exitcode=0x00000100\n");
	cr_assert_not_null(serial_panic_line(&s));
	cr_expect_str_eq(serial_panic_line(&s),
			 "Kernel panic - not syncing: Attempted to kill init! "
			 "exitcode=0x00000100");
}

Test(serial, panic_in_mid_line_or_unterminated)
{
	puts_uart("foo Kernel panic - not syncing: nope\n");
	cr_expect_null(serial_panic_line(&s), "not at line start");
	puts_uart("Kernel panic - not syncing: at the end");
	cr_expect_null(serial_panic_line(&s));
	serial_flush(&s);
	cr_assert_not_null(serial_panic_line(&s));
	cr_expect_str_eq(serial_panic_line(&s),
			 "Kernel panic - not syncing: at the end");
}

Test(serial, panic_scan_without_output_fd)
{
	struct io_bus bus2;
	struct serial s2;
	struct lerr e = { 0 };
	uint8_t v;
	const char *msg = "Kernel panic - not syncing: quiet\n";

	io_bus_init(&bus2);
	cr_assert_eq(serial_init(&s2, &bus2, &vm, -1, &e), 0, "%s", e.msg);
	for (const char *p = msg; *p; p++) {
		v = (uint8_t)*p;
		io_bus_access(&bus2, IO_SPACE_PIO, COM1, &v, 1, true);
	}
	cr_assert_not_null(serial_panic_line(&s2));
	cr_expect_str_eq(serial_panic_line(&s2),
			 "Kernel panic - not syncing: quiet");
	io_bus_free(&bus2);
}

Test(serial, absent_com2_to_com4_read_all_ones)
{
	const uint16_t bases[] = { 0x2f8, 0x3e8, 0x2e8 };

	for (unsigned int i = 0; i < 3; i++) {
		for (uint16_t r = 0; r < 8; r++) {
			outb(bases[i] + r, 0x00);
			cr_expect_eq(inb(bases[i] + r), 0xff, "port 0x%x",
				     bases[i] + r);
		}
	}
	cr_expect_eq(bus.unclaimed[IO_SPACE_PIO], 0, "claimed as absent");
}
