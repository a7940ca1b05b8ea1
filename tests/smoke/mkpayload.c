/* mkpayload.c - writes the tiny guests of the smoke suite.
 *
 * Each payload is an ELF64 executable with one PT_LOAD segment of
 * hand-assembled 32-bit code at 1 MiB and a PT_NOTE carrying the
 * Xen/XEN_ELFNOTE_PHYS32_ENTRY (type 18) note, so lighter-vmm's ordinary
 * PVH path enters it in flat 32-bit protected mode, paging off, as it
 * would a vmlinux.  Nothing here depends on the VMM's sources: the file
 * format is the contract.
 *
 *   mkpayload NAME OUTPUT
 *   NAME: hello timer triple reset mmio spin irq panic cpuid4 touch */
#include <elf.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LOAD_ADDR 0x100000u
#define CODE_OFFSET 0x100u /* file offset of the segment */
#define CODE_MAX 0x400u
#define DATA_OFFSET 0x300u /* in-segment offset of payload data */
#define SEG_MEMSZ 0x2000u  /* zero-filled beyond CODE_MAX: IDT, stack */
#define IDT_ADDR (LOAD_ADDR + 0x1000u)
#define STACK_TOP (LOAD_ADDR + SEG_MEMSZ)

#define XEN_ELFNOTE_PHYS32_ENTRY 18

#define SERIAL_PORT 0x3f8
#define DEBUG_PORT 0x3f0
#define PORT_BOOT_READY 123
#define PORT_POWEROFF 124
#define UNCLAIMED_MMIO 0xd0000000u
#define IOAPIC_BASE 0xfec00000u
#define LAPIC_BASE 0xfee00000u
#define SERIAL_IRQ 4
#define SERIAL_VECTOR 0x24

struct code {
	uint8_t b[CODE_MAX];
	unsigned int n;
};

static void emit(struct code *c, const uint8_t *bytes, unsigned int len)
{
	if (c->n + len > DATA_OFFSET) {
		fprintf(stderr, "mkpayload: code too long\n");
		exit(1);
	}
	memcpy(c->b + c->n, bytes, len);
	c->n += len;
}

#define EMIT(c, ...)                                                           \
	do {                                                                   \
		const uint8_t _b[] = { __VA_ARGS__ };                          \
		emit(c, _b, sizeof(_b));                                       \
	} while (0)

#define LE32(v)                                                                \
	(uint8_t)(v), (uint8_t)((v) >> 8), (uint8_t)((v) >> 16),              \
		(uint8_t)((v) >> 24)

/* mov dx, imm16 */
static void mov_dx(struct code *c, uint16_t port)
{
	EMIT(c, 0x66, 0xba, (uint8_t)port, (uint8_t)(port >> 8));
}

/* mov al, imm8 ; out dx, al */
static void out_al(struct code *c, uint8_t v)
{
	EMIT(c, 0xb0, v, 0xee);
}

/* One out per character: no loop, no stack, no data segment needed. */
static void serial_puts(struct code *c, const char *s)
{
	mov_dx(c, SERIAL_PORT);
	while (*s)
		out_al(c, (uint8_t)*s++);
}

static void debug_port(struct code *c, uint8_t v)
{
	mov_dx(c, DEBUG_PORT);
	out_al(c, v);
}

/* 1: hlt ; jmp 1b -- interrupts are off at PVH entry, so this parks the
 * vCPU for good (until the VMM kicks it out to stop the VM). */
static void halt_forever(struct code *c)
{
	EMIT(c, 0xf4, 0xeb, 0xfd);
}

static void payload_hello(struct code *c)
{
	serial_puts(c, "hello\n");
	debug_port(c, PORT_POWEROFF);
	halt_forever(c);
}

static void payload_timer(struct code *c)
{
	debug_port(c, PORT_BOOT_READY);
	out_al(c, PORT_POWEROFF); /* dx still holds the debug port */
	halt_forever(c);
}

static void payload_triple(struct code *c)
{
	uint32_t idtr = LOAD_ADDR + DATA_OFFSET; /* 6 zero bytes: limit 0 */

	/* lidt [idtr]: an IDT with no room for any vector. */
	EMIT(c, 0x0f, 0x01, 0x1d, LE32(idtr));
	/* ud2: #UD cannot be delivered -> #GP cannot either -> #DF cannot
	 * either -> triple fault -> shutdown.  (ud2 rather than int3: PVM's
	 * instruction emulator gives up on int3 with an emulation failure.) */
	EMIT(c, 0x0f, 0x0b);
	/* int3: same road, should ud2 ever return. */
	EMIT(c, 0xcc);
	halt_forever(c);
}

/* What a dying Linux prints (time stamp, "\r\n" from the 8250 console),
 * then the triple fault that reboot=t turns a panic into. */
static void payload_panic(struct code *c)
{
	serial_puts(c, "booting\r\n[    0.271828] Kernel panic - not syncing: "
		       "smoke test\r\n");
	payload_triple(c);
}

static void payload_reset(struct code *c)
{
	/* mov al, 0xfe ; out 0x64, al: pulse the reset line (reboot=k). */
	EMIT(c, 0xb0, 0xfe, 0xe6, 0x64);
	halt_forever(c);
}

static void payload_mmio(struct code *c)
{
	unsigned int jne_at;

	/* mov eax, [0xd0000000]: unclaimed MMIO reads back all-ones. */
	EMIT(c, 0xa1, LE32(UNCLAIMED_MMIO));
	/* cmp eax, -1 */
	EMIT(c, 0x83, 0xf8, 0xff);
	/* jne bad (rel8 patched below) */
	jne_at = c->n;
	EMIT(c, 0x75, 0x00);
	/* mov [0xd0000000], eax: unclaimed write, dropped. */
	EMIT(c, 0xa3, LE32(UNCLAIMED_MMIO));
	/* mov byte [0xd0000004], 0x5a */
	EMIT(c, 0xc6, 0x05, LE32(UNCLAIMED_MMIO + 4), 0x5a);
	/* mov word ax, [0xd0000006] ; a 2-byte read too */
	EMIT(c, 0x66, 0xa1, LE32(UNCLAIMED_MMIO + 6));
	serial_puts(c, "mmio ok\n");
	debug_port(c, PORT_POWEROFF);
	halt_forever(c);
	/* bad: */
	c->b[jne_at + 1] = (uint8_t)(c->n - (jne_at + 2));
	serial_puts(c, "mmio bad\n");
	debug_port(c, PORT_POWEROFF);
	halt_forever(c);
}

/* mov dword [addr], imm32 */
static void store32(struct code *c, uint32_t addr, uint32_t v)
{
	EMIT(c, 0xc7, 0x05, LE32(addr), LE32(v));
}

static void patch32(struct code *c, unsigned int at, uint32_t v)
{
	const uint8_t b[] = { LE32(v) };

	memcpy(c->b + at, b, sizeof(b));
}

/* Interrupt-driven transmit, the way Linux's 8250 tty output works:
 * IOAPIC pin 4 -> vector 0x24, IER.THRI on, and the handler sends one
 * byte per THR-empty interrupt until the message ends, then powers off.
 * If IRQ 4 never fires the guest sleeps in hlt forever. */
static void payload_irq(struct code *c)
{
	const uint32_t idtr_addr = LOAD_ADDR + DATA_OFFSET;
	const uint32_t msg_addr = idtr_addr + 0x10;
	const uint32_t gate = IDT_ADDR + SERIAL_VECTOR * 8;
	const char msg[] = "irq ok\n";
	unsigned int handler_imm, jz_at;

	/* The IDT descriptor and the message live in the data area. */
	c->b[DATA_OFFSET + 0] = (uint8_t)(SERIAL_VECTOR * 8 + 7); /* limit */
	c->b[DATA_OFFSET + 1] = (uint8_t)((SERIAL_VECTOR * 8 + 7) >> 8);
	patch32(c, DATA_OFFSET + 2, IDT_ADDR);
	memcpy(c->b + DATA_OFFSET + 0x10, msg, sizeof(msg));

	/* mov esp, STACK_TOP: PVH enters with no stack. */
	EMIT(c, 0xbc, LE32(STACK_TOP));
	/* mov eax, handler (patched below) */
	EMIT(c, 0xb8);
	handler_imm = c->n;
	EMIT(c, LE32(0));
	/* mov [gate+0], ax: offset 15:0 */
	EMIT(c, 0x66, 0xa3, LE32(gate));
	/* shr eax, 16 ; mov [gate+6], ax: offset 31:16 */
	EMIT(c, 0xc1, 0xe8, 0x10);
	EMIT(c, 0x66, 0xa3, LE32(gate + 6));
	/* mov ax, cs ; mov [gate+2], ax: the selector PVH entry gave us */
	EMIT(c, 0x66, 0x8c, 0xc8);
	EMIT(c, 0x66, 0xa3, LE32(gate + 2));
	/* mov byte [gate+5], 0x8e: present, DPL 0, 32-bit interrupt gate */
	EMIT(c, 0xc6, 0x05, LE32(gate + 5), 0x8e);
	/* lidt [idtr] */
	EMIT(c, 0x0f, 0x01, 0x1d, LE32(idtr_addr));
	/* LAPIC SVR = 0x1ff: software-enable the LAPIC (spurious vector
	 * 0xff) or it drops every interrupt. */
	store32(c, LAPIC_BASE + 0xf0, 0x1ff);
	/* IOAPIC redirection entry for pin 4: vector 0x24, fixed, edge,
	 * active high, unmasked, to APIC id 0 (IOREGSEL, then IOWIN). */
	store32(c, IOAPIC_BASE + 0x00, 0x10 + 2 * SERIAL_IRQ);
	store32(c, IOAPIC_BASE + 0x10, SERIAL_VECTOR);
	store32(c, IOAPIC_BASE + 0x00, 0x10 + 2 * SERIAL_IRQ + 1);
	store32(c, IOAPIC_BASE + 0x10, 0);
	/* mov al, 0xff ; out 0x21, al ; out 0xa1, al: mask both 8259s.
	 * KVM_IRQ_LINE drives the PIC as well as the IOAPIC, and the BSP's
	 * LINT0 is ExtINT, so an unmasked, unprogrammed PIC would deliver
	 * IRQ 4 a second time as vector 4.  Linux masks it the same way. */
	EMIT(c, 0xb0, 0xff, 0xe6, 0x21, 0xe6, 0xa1);
	/* mov esi, msg: the handler's cursor */
	EMIT(c, 0xbe, LE32(msg_addr));
	/* MCR = DTR|RTS|OUT2 (OUT2 gates the IRQ on a PC) */
	mov_dx(c, SERIAL_PORT + 4);
	out_al(c, 0x0b);
	/* IER = THRI: THR is empty, so this interrupts right away */
	mov_dx(c, SERIAL_PORT + 1);
	out_al(c, 0x02);
	/* sti ; then 1: hlt ; jmp 1b */
	EMIT(c, 0xfb);
	halt_forever(c);

	/* handler: never returns with iret (PVM's emulator cannot do it);
	 * each interrupt drops its frame and goes back to the idle loop. */
	patch32(c, handler_imm, LOAD_ADDR + c->n);
	/* mov dx, IIR ; in al, dx: acknowledges the THR-empty interrupt */
	mov_dx(c, SERIAL_PORT + 2);
	EMIT(c, 0xec);
	/* lodsb ; test al, al ; jz done */
	EMIT(c, 0xac, 0x84, 0xc0);
	jz_at = c->n;
	EMIT(c, 0x74, 0x00);
	/* mov dx, THR ; out dx, al: raises the next THR-empty interrupt */
	mov_dx(c, SERIAL_PORT);
	EMIT(c, 0xee);
	/* LAPIC EOI = 0 */
	store32(c, LAPIC_BASE + 0xb0, 0);
	/* mov esp, STACK_TOP ; sti ; 1: hlt ; jmp 1b */
	EMIT(c, 0xbc, LE32(STACK_TOP));
	EMIT(c, 0xfb);
	halt_forever(c);
	/* done: power off */
	c->b[jz_at + 1] = (uint8_t)(c->n - (jz_at + 2));
	debug_port(c, PORT_POWEROFF);
	halt_forever(c);
}

/* jcc rel32 with the displacement left for jcc_to() */
static unsigned int jcc32(struct code *c, uint8_t cc)
{
	EMIT(c, 0x0f, cc, LE32(0));
	return c->n;
}

static void jcc_to(struct code *c, unsigned int after_jcc)
{
	patch32(c, after_jcc - 4, c->n - after_jcc);
}

/* The BSP's CPUID as cpuid.c rewrites it for a 4-vCPU VM: hypervisor
 * bit, 4 logical processors per package, APIC id 0, and KVM's signature
 * leaf passed through. */
static void payload_cpuid4(struct code *c)
{
	unsigned int bad[4];

	/* mov eax, 1 ; cpuid */
	EMIT(c, 0xb8, LE32(1));
	EMIT(c, 0x0f, 0xa2);
	/* test ecx, 1 << 31 ; jz bad: hypervisor bit */
	EMIT(c, 0xf7, 0xc1, LE32(0x80000000u));
	bad[0] = jcc32(c, 0x84);
	/* mov eax, ebx ; shr eax, 24 ; jnz bad: initial APIC id 0 */
	EMIT(c, 0x89, 0xd8, 0xc1, 0xe8, 0x18);
	bad[1] = jcc32(c, 0x85);
	/* shr ebx, 16 ; cmp bl, 4 ; jne bad: logical processor count */
	EMIT(c, 0xc1, 0xeb, 0x10, 0x80, 0xfb, 0x04);
	bad[2] = jcc32(c, 0x85);
	/* mov eax, 0x40000000 ; cpuid ; cmp ebx, "KVMK" ; jne bad */
	EMIT(c, 0xb8, LE32(0x40000000u));
	EMIT(c, 0x0f, 0xa2);
	EMIT(c, 0x81, 0xfb, 'K', 'V', 'M', 'K');
	bad[3] = jcc32(c, 0x85);
	serial_puts(c, "cpuid ok\n");
	debug_port(c, PORT_POWEROFF);
	halt_forever(c);
	/* bad: */
	for (unsigned int i = 0; i < 4; i++)
		jcc_to(c, bad[i]);
	serial_puts(c, "cpuid bad\n");
	debug_port(c, PORT_POWEROFF);
	halt_forever(c);
}

static void payload_spin(struct code *c)
{
	/* 1: jmp 1b -- busy, never exits to the VMM on its own. */
	EMIT(c, 0xeb, 0xfe);
}

/* Write one byte into every 4 KiB page of usable RAM above 2 MiB (the
 * payload lives below), walking the PVH memory map (type 1 entries, the
 * part below 4 GiB: paging is off), then power off.  Every page the guest
 * writes becomes a page of the VMM's memory: the jail suite uses it to run
 * a guest into its memory cgroup's limit. */
static void payload_touch(struct code *c)
{
	unsigned int done, skip_type, skip_high, clamp_ok, start_ok, loop,
		page_loop, next;

	/* mov esi, [ebx+40] (memmap_paddr) ; mov ecx, [ebx+48] (entries) */
	EMIT(c, 0x8b, 0x73, 0x28);
	EMIT(c, 0x8b, 0x4b, 0x30);
	/* next: test ecx, ecx ; jz done */
	next = c->n;
	EMIT(c, 0x85, 0xc9);
	done = jcc32(c, 0x84);
	/* cmp dword [esi+16], 1 ; jne skip: not RAM */
	EMIT(c, 0x83, 0x7e, 0x10, 0x01);
	skip_type = jcc32(c, 0x85);
	/* cmp dword [esi+4], 0 ; jne skip: starts above 4 GiB */
	EMIT(c, 0x83, 0x7e, 0x04, 0x00);
	skip_high = jcc32(c, 0x85);
	/* mov edi, [esi] ; mov eax, [esi+8] ; mov edx, [esi+12]:
	 * edi = start, edx:eax = size */
	EMIT(c, 0x8b, 0x3e);
	EMIT(c, 0x8b, 0x46, 0x08);
	EMIT(c, 0x8b, 0x56, 0x0c);
	/* add eax, edi ; adc edx, 0 ; jz clamp_ok: the end fits in 32 bits */
	EMIT(c, 0x01, 0xf8);
	EMIT(c, 0x83, 0xd2, 0x00);
	clamp_ok = jcc32(c, 0x84);
	/* mov eax, 0xfffff000: stop at the last page below 4 GiB */
	EMIT(c, 0xb8, LE32(0xfffff000u));
	jcc_to(c, clamp_ok);
	/* cmp edi, 0x200000 ; jae start_ok ; mov edi, 0x200000 */
	EMIT(c, 0x81, 0xff, LE32(0x200000u));
	start_ok = jcc32(c, 0x83);
	EMIT(c, 0xbf, LE32(0x200000u));
	jcc_to(c, start_ok);
	/* page_loop: cmp edi, eax ; jae skip */
	page_loop = c->n;
	EMIT(c, 0x39, 0xc7);
	loop = jcc32(c, 0x83);
	/* mov byte [edi], 0x5a ; add edi, 4096 ; jmp page_loop */
	EMIT(c, 0xc6, 0x07, 0x5a);
	EMIT(c, 0x81, 0xc7, LE32(0x1000u));
	EMIT(c, 0xe9, LE32(page_loop - (c->n + 5)));
	/* skip: add esi, 24 ; dec ecx ; jmp next */
	jcc_to(c, skip_type);
	jcc_to(c, skip_high);
	jcc_to(c, loop);
	EMIT(c, 0x83, 0xc6, 0x18);
	EMIT(c, 0x49);
	EMIT(c, 0xe9, LE32(next - (c->n + 5)));
	/* done */
	jcc_to(c, done);
	serial_puts(c, "touched\n");
	debug_port(c, PORT_POWEROFF);
	halt_forever(c);
}

static const struct {
	const char *name;
	void (*build)(struct code *c);
} payloads[] = {
	{ "hello", payload_hello }, { "timer", payload_timer },
	{ "triple", payload_triple }, { "reset", payload_reset },
	{ "mmio", payload_mmio },   { "spin", payload_spin },
	{ "irq", payload_irq },     { "panic", payload_panic },
	{ "cpuid4", payload_cpuid4 }, { "touch", payload_touch },
};

struct pvh_note {
	Elf64_Nhdr hdr;
	char name[4];   /* "Xen\0" */
	uint64_t entry; /* 8-byte descriptor, as Linux's _ASM_PTR emits */
};

struct elf_headers {
	Elf64_Ehdr eh;
	Elf64_Phdr ph[2];
	struct pvh_note note;
};

static int write_elf(const char *path, const struct code *c)
{
	struct elf_headers h;
	uint8_t image[CODE_OFFSET + CODE_MAX];
	FILE *f;

	memset(&h, 0, sizeof(h));
	memcpy(h.eh.e_ident, ELFMAG, SELFMAG);
	h.eh.e_ident[EI_CLASS] = ELFCLASS64;
	h.eh.e_ident[EI_DATA] = ELFDATA2LSB;
	h.eh.e_ident[EI_VERSION] = EV_CURRENT;
	h.eh.e_type = ET_EXEC;
	h.eh.e_machine = EM_X86_64;
	h.eh.e_version = EV_CURRENT;
	h.eh.e_entry = LOAD_ADDR;
	h.eh.e_phoff = offsetof(struct elf_headers, ph);
	h.eh.e_ehsize = sizeof(h.eh);
	h.eh.e_phentsize = sizeof(h.ph[0]);
	h.eh.e_phnum = 2;

	h.ph[0].p_type = PT_LOAD;
	h.ph[0].p_flags = PF_R | PF_W | PF_X;
	h.ph[0].p_offset = CODE_OFFSET;
	h.ph[0].p_vaddr = h.ph[0].p_paddr = LOAD_ADDR;
	h.ph[0].p_filesz = CODE_MAX;
	h.ph[0].p_memsz = SEG_MEMSZ;
	h.ph[0].p_align = 0x100;

	h.ph[1].p_type = PT_NOTE;
	h.ph[1].p_flags = PF_R;
	h.ph[1].p_offset = offsetof(struct elf_headers, note);
	h.ph[1].p_filesz = sizeof(h.note);
	h.ph[1].p_align = 4;
	h.note.hdr.n_namesz = 4;
	h.note.hdr.n_descsz = 8;
	h.note.hdr.n_type = XEN_ELFNOTE_PHYS32_ENTRY;
	memcpy(h.note.name, "Xen", 4);
	h.note.entry = LOAD_ADDR;

	_Static_assert(sizeof(h) <= CODE_OFFSET, "headers overlap the code");
	memset(image, 0, sizeof(image));
	memcpy(image, &h, sizeof(h));
	memcpy(image + CODE_OFFSET, c->b, sizeof(c->b));

	f = fopen(path, "wb");
	if (!f || fwrite(image, sizeof(image), 1, f) != 1 || fclose(f) != 0) {
		perror(path);
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct code c;

	if (argc != 3) {
		fprintf(stderr, "usage: mkpayload NAME OUTPUT\n");
		return 2;
	}
	for (size_t i = 0; i < sizeof(payloads) / sizeof(payloads[0]); i++) {
		if (strcmp(argv[1], payloads[i].name) != 0)
			continue;
		memset(&c, 0, sizeof(c));
		payloads[i].build(&c);
		return write_elf(argv[2], &c);
	}
	fprintf(stderr, "mkpayload: unknown payload \"%s\"\n", argv[1]);
	return 2;
}
