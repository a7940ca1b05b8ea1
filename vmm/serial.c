/* serial.c - 8250/16550A UART emulation for the guest console.
 *
 * Enough of a 16550A for Linux's 8250 driver (probe, console, interrupt
 * driven tty output): the transmitter is infinitely fast, so LSR always
 * reports THRE|TEMT and a THR-empty interrupt is pending whenever it is
 * enabled and has not been acknowledged by reading IIR since the last THR
 * or IER write.  IRQ 4 follows the interrupt state through KVM_IRQ_LINE,
 * but only when it changes: an ioctl per character would double the cost
 * of console output.  There is no host input yet; in loopback mode
 * (MCR.LOOP) transmitted bytes come back through RBR and the modem
 * control outputs drive the modem status inputs, which is what the
 * driver's probe checks.  Output is written per line (or 256 bytes), and
 * each line is checked for the kernel's panic message so that the VMM
 * can name the reason when a panicking guest goes down. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "serial.h"

/* Register offsets. */
#define UART_RX 0  /* in: receive buffer (DLAB=0) */
#define UART_TX 0  /* out: transmit holding (DLAB=0) */
#define UART_DLL 0 /* divisor latch low (DLAB=1) */
#define UART_IER 1
#define UART_DLM 1 /* divisor latch high (DLAB=1) */
#define UART_IIR 2 /* in */
#define UART_FCR 2 /* out */
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define UART_MSR 6
#define UART_SCR 7

#define UART_IER_RDI 0x01
#define UART_IER_THRI 0x02
#define UART_IER_MASK 0x0f

#define UART_IIR_NO_INT 0x01
#define UART_IIR_THRI 0x02
#define UART_IIR_RDI 0x04
#define UART_IIR_FIFO_ENABLED 0xc0

#define UART_FCR_ENABLE_FIFO 0x01
#define UART_FCR_CLEAR_RCVR 0x02

#define UART_LCR_DLAB 0x80

#define UART_MCR_DTR 0x01
#define UART_MCR_RTS 0x02
#define UART_MCR_OUT1 0x04
#define UART_MCR_OUT2 0x08
#define UART_MCR_LOOP 0x10
#define UART_MCR_MASK 0x1f

#define UART_LSR_DR 0x01
#define UART_LSR_THRE 0x20
#define UART_LSR_TEMT 0x40

#define UART_MSR_CTS 0x10
#define UART_MSR_DSR 0x20
#define UART_MSR_RI 0x40
#define UART_MSR_DCD 0x80
#define UART_MSR_DELTA_MASK 0x0f

#define PANIC_PREFIX "Kernel panic - not syncing"

static const uint16_t com_absent_base[] = { 0x2f8, 0x3e8, 0x2e8 };

static void serial_write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return; /* console gone: keep the guest running */
		p += w;
		n -= (size_t)w;
	}
}

/* A complete line: skip printk's "[    1.234567] " time stamp and
 * remember the first line that starts with the panic message. */
static void serial_scan_line(struct serial *s)
{
	const char *p = s->line;
	const char *end = s->line + s->line_len;
	size_t n;

	if (s->panic[0] || s->line_continued)
		return;
	if (p < end && *p == '[') {
		const char *close = memchr(p, ']', (size_t)(end - p));

		if (close) {
			p = close + 1;
			while (p < end && *p == ' ')
				p++;
		}
	}
	n = (size_t)(end - p);
	if (n < sizeof(PANIC_PREFIX) - 1 ||
	    memcmp(p, PANIC_PREFIX, sizeof(PANIC_PREFIX) - 1) != 0)
		return;
	while (n > 0 && (p[n - 1] == '\n' || p[n - 1] == '\r'))
		n--;
	memcpy(s->panic, p, n);
	s->panic[n] = '\0';
}

static void serial_flush_line(struct serial *s, bool complete)
{
	if (s->out_fd >= 0 && s->line_len)
		serial_write_all(s->out_fd, s->line, s->line_len);
	if (complete)
		serial_scan_line(s);
	/* A line flushed because the buffer filled is still being printed;
	 * its tail must not be mistaken for the start of a line. */
	s->line_continued = !complete;
	s->line_len = 0;
}

static void serial_emit(struct serial *s, uint8_t c)
{
	s->line[s->line_len++] = (char)c;
	if (c == '\n')
		serial_flush_line(s, true);
	else if (s->line_len == sizeof(s->line) - 1) /* room for the NUL */
		serial_flush_line(s, false);
}

void serial_flush(struct serial *s)
{
	pthread_mutex_lock(&s->dev.lock);
	if (s->line_len)
		serial_flush_line(s, true);
	pthread_mutex_unlock(&s->dev.lock);
}

const char *serial_panic_line(const struct serial *s)
{
	return s->panic[0] ? s->panic : NULL;
}

static uint8_t serial_iir(const struct serial *s)
{
	uint8_t fifo = s->fcr & UART_FCR_ENABLE_FIFO ? UART_IIR_FIFO_ENABLED
						     : 0;

	if ((s->ier & UART_IER_RDI) && s->rx_count)
		return fifo | UART_IIR_RDI;
	if ((s->ier & UART_IER_THRI) && s->thre_pending)
		return fifo | UART_IIR_THRI;
	return fifo | UART_IIR_NO_INT;
}

static void serial_update_irq(struct serial *s)
{
	int level = !(serial_iir(s) & UART_IIR_NO_INT);

	/* In loopback the interrupt output is disconnected from the bus. */
	if (s->mcr & UART_MCR_LOOP)
		level = 0;
	if (level == s->irq_level)
		return;
	if (kvm_vm_irq_line(s->vm, SERIAL_COM1_IRQ, level) == 0)
		s->irq_level = level;
}

static void serial_rx_push(struct serial *s, uint8_t c)
{
	if (s->rx_count == SERIAL_RX_FIFO)
		return; /* overrun: drop, as the hardware does */
	s->rx[(s->rx_head + s->rx_count) % SERIAL_RX_FIFO] = c;
	s->rx_count++;
}

static uint8_t serial_rx_pop(struct serial *s)
{
	uint8_t c;

	if (!s->rx_count)
		return 0;
	c = s->rx[s->rx_head];
	s->rx_head = (s->rx_head + 1) % SERIAL_RX_FIFO;
	s->rx_count--;
	return c;
}

static uint8_t serial_loopback_msr(const struct serial *s)
{
	uint8_t m = 0;

	if (s->mcr & UART_MCR_RTS)
		m |= UART_MSR_CTS;
	if (s->mcr & UART_MCR_DTR)
		m |= UART_MSR_DSR;
	if (s->mcr & UART_MCR_OUT1)
		m |= UART_MSR_RI;
	if (s->mcr & UART_MCR_OUT2)
		m |= UART_MSR_DCD;
	return m;
}

static uint8_t serial_read_reg(struct serial *s, unsigned int reg)
{
	bool dlab = s->lcr & UART_LCR_DLAB;
	uint8_t v;

	switch (reg) {
	case UART_RX:
		return dlab ? s->dll : serial_rx_pop(s);
	case UART_IER:
		return dlab ? s->dlm : s->ier;
	case UART_IIR:
		v = serial_iir(s);
		/* Reading IIR acknowledges a THR-empty interrupt. */
		if ((v & 0x0f) == UART_IIR_THRI)
			s->thre_pending = false;
		return v;
	case UART_LCR:
		return s->lcr;
	case UART_MCR:
		return s->mcr;
	case UART_LSR:
		return UART_LSR_THRE | UART_LSR_TEMT |
		       (s->rx_count ? UART_LSR_DR : 0);
	case UART_MSR:
		if (s->mcr & UART_MCR_LOOP)
			return serial_loopback_msr(s);
		v = s->msr;
		s->msr &= (uint8_t)~UART_MSR_DELTA_MASK;
		return v;
	case UART_SCR:
		return s->scr;
	default:
		return 0xff;
	}
}

static void serial_write_reg(struct serial *s, unsigned int reg, uint8_t v)
{
	bool dlab = s->lcr & UART_LCR_DLAB;

	switch (reg) {
	case UART_TX:
		if (dlab) {
			s->dll = v;
			break;
		}
		if (s->mcr & UART_MCR_LOOP)
			serial_rx_push(s, v);
		else
			serial_emit(s, v);
		/* Sent at once: the holding register is empty again. */
		s->thre_pending = true;
		break;
	case UART_IER:
		if (dlab) {
			s->dlm = v;
			break;
		}
		/* Enabling THRI with THR empty interrupts at once; Linux's
		 * start_tx relies on exactly that. */
		s->ier = v & UART_IER_MASK;
		s->thre_pending = true;
		break;
	case UART_FCR:
		s->fcr = v;
		if (v & UART_FCR_CLEAR_RCVR)
			s->rx_head = s->rx_count = 0;
		break;
	case UART_LCR:
		s->lcr = v;
		break;
	case UART_MCR:
		s->mcr = v & UART_MCR_MASK;
		break;
	case UART_SCR:
		s->scr = v;
		break;
	default: /* LSR and MSR are read-only */
		break;
	}
}

static void serial_read(void *opaque, uint64_t off, uint8_t *data,
			unsigned int len)
{
	struct serial *s = opaque;

	/* Byte registers; wider accesses read consecutive registers. */
	for (unsigned int i = 0; i < len; i++)
		data[i] = serial_read_reg(s, (unsigned int)off + i);
	serial_update_irq(s);
}

static void serial_write(void *opaque, uint64_t off, const uint8_t *data,
			 unsigned int len)
{
	struct serial *s = opaque;

	for (unsigned int i = 0; i < len; i++)
		serial_write_reg(s, (unsigned int)off + i, data[i]);
	serial_update_irq(s);
}

static const struct io_dev_ops serial_ops = {
	.read = serial_read,
	.write = serial_write,
};

/* COM2..COM4 float: reads all-ones, so the 8250 probe gives up after one
 * IER read-back instead of a full detection sequence. */
static void absent_read(void *opaque, uint64_t off, uint8_t *data,
			unsigned int len)
{
	memset(data, 0xff, len);
}

static const struct io_dev_ops absent_ops = {
	.read = absent_read,
	.write = NULL,
};

int serial_init(struct serial *s, struct io_bus *bus, const struct kvm_vm *vm,
		int out_fd, struct lerr *e)
{
	int r;

	memset(s, 0, sizeof(*s));
	s->vm = vm;
	s->out_fd = out_fd;
	/* Carrier, data set ready and clear to send: a cable is attached. */
	s->msr = UART_MSR_DCD | UART_MSR_DSR | UART_MSR_CTS;
	s->mcr = UART_MCR_OUT2;
	io_dev_init(&s->dev, "serial (COM1)", &serial_ops, s);
	io_dev_init(&s->absent, "serial (absent COM2-4)", &absent_ops, s);

	r = io_bus_register(bus, IO_SPACE_PIO, SERIAL_COM1_BASE, 8, &s->dev, e);
	for (size_t i = 0; r == 0 && i < sizeof(com_absent_base) /
						 sizeof(com_absent_base[0]);
	     i++)
		r = io_bus_register(bus, IO_SPACE_PIO, com_absent_base[i], 8,
				    &s->absent, e);
	return r;
}
