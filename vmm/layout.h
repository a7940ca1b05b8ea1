/* layout.h - every fixed guest physical address lighter's boot code uses.
 *
 * Everything below 1 MiB is written by the VMM before the first guest
 * instruction; the kernel is loaded at or above LAYOUT_KERNEL_MIN (a
 * vmlinux asks for 16 MiB), the initramfs sits at the top of low RAM.
 * The e820 map keeps the boot structures the kernel must not reuse early
 * (the MP table) out of usable RAM; the rest below 0x9fc00 is ordinary RAM
 * the kernel reclaims once it has copied what it needs. */
#ifndef LIGHTER_VMM_LAYOUT_H
#define LIGHTER_VMM_LAYOUT_H

/* GDT shared by both entry protocols: null, null, code (0x10), data (0x18),
 * TSS (0x20, 16 bytes in long mode); 0x10/0x18 are Linux's __BOOT_CS/DS. */
#define LAYOUT_GDT 0x500ULL
#define LAYOUT_GDT_SIZE 0x30ULL
/* An empty IDT: the guest installs its own before enabling interrupts. */
#define LAYOUT_IDT 0x540ULL
#define LAYOUT_IDT_SIZE 0x8ULL

/* PVH: struct hvm_start_info, then the module list (the initramfs), then
 * the memory map (at most E820_MAX_ENTRIES entries of 24 bytes). */
#define LAYOUT_PVH_START_INFO 0x6000ULL
#define LAYOUT_PVH_MODLIST 0x6100ULL
#define LAYOUT_PVH_MEMMAP 0x6200ULL

/* Linux 64-bit boot protocol: the zero page (struct boot_params). */
#define LAYOUT_ZERO_PAGE 0x7000ULL
/* Initial stack for the Linux 64-bit entry (grows down, below the tables). */
#define LAYOUT_BOOT_STACK 0x8ff0ULL
/* Identity page tables: PML4, one PDPT, four PDs of 2 MiB pages (4 GiB). */
#define LAYOUT_PML4 0x9000ULL
#define LAYOUT_PDPT 0xa000ULL
#define LAYOUT_PD 0xb000ULL
#define LAYOUT_PD_COUNT 4

/* The kernel command line, NUL-terminated, at most LAYOUT_CMDLINE_MAX bytes
 * including the NUL (Linux x86's COMMAND_LINE_SIZE). */
#define LAYOUT_CMDLINE 0x20000ULL
#define LAYOUT_CMDLINE_MAX 2048ULL

/* Top of conventional RAM: [LAYOUT_EBDA, 0xa0000) is reserved in the e820
 * map.  The MP floating pointer lives at its start, where Linux scans
 * ("the last KiB of base memory", 639 KiB). */
#define LAYOUT_EBDA 0x9fc00ULL
#define LAYOUT_MPTABLE_FP LAYOUT_EBDA
#define LAYOUT_LOW_RAM_END 0xa0000ULL

/* The BIOS area [0xf0000, 1 MiB) is reserved in the e820 map.  The MP
 * configuration table goes here: for 64 vCPUs it is ~1.5 KiB and would not
 * fit in the 1 KiB above LAYOUT_EBDA. */
#define LAYOUT_BIOS 0xf0000ULL
#define LAYOUT_BIOS_END 0x100000ULL
#define LAYOUT_MPTABLE_CONFIG LAYOUT_BIOS

/* Lowest address a PT_LOAD segment may load at: everything below is ours. */
#define LAYOUT_KERNEL_MIN 0x100000ULL

/* Local and I/O APIC MMIO (in the hole below 4 GiB). */
#define LAYOUT_LAPIC 0xfee00000ULL
#define LAYOUT_IOAPIC 0xfec00000ULL

#define LAYOUT_PAGE_SIZE 0x1000ULL

#endif
