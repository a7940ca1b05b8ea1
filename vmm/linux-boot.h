/* linux-boot.h - the Linux x86 "zero page" (struct boot_params) and the
 * 64-bit boot protocol's setup (Documentation/arch/x86/boot.rst).
 *
 * Only the fields lighter fills have names; the rest is padding whose
 * size the offset asserts in linux-boot.c pin to the kernel's layout. */
#ifndef LIGHTER_VMM_LINUX_BOOT_H
#define LIGHTER_VMM_LINUX_BOOT_H

#include <stdint.h>

#include "boot-plan.h"

#define LINUX_BOOT_FLAG 0xaa55
#define LINUX_HDRS_MAGIC 0x53726448 /* "HdrS" */
#define LINUX_BOOT_VERSION 0x020f   /* 2.15 */
#define LINUX_LOADER_UNDEFINED 0xff /* type_of_loader: not a registered id */
#define LINUX_LOADED_HIGH 0x01      /* loadflags: protected mode at 1 MiB+ */
#define LINUX_KERNEL_ALIGN 0x1000000
#define LINUX_E820_MAX 128

struct linux_e820_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;
} __attribute__((packed));

/* struct setup_header, at 0x1f1 of the zero page. */
struct linux_setup_header {
	uint8_t setup_sects;
	uint16_t root_flags;
	uint32_t syssize;
	uint16_t ram_size;
	uint16_t vid_mode;
	uint16_t root_dev;
	uint16_t boot_flag;
	uint16_t jump;
	uint32_t header;
	uint16_t version;
	uint32_t realmode_swtch;
	uint16_t start_sys_seg;
	uint16_t kernel_version;
	uint8_t type_of_loader;
	uint8_t loadflags;
	uint16_t setup_move_size;
	uint32_t code32_start;
	uint32_t ramdisk_image;
	uint32_t ramdisk_size;
	uint32_t bootsect_kludge;
	uint16_t heap_end_ptr;
	uint8_t ext_loader_ver;
	uint8_t ext_loader_type;
	uint32_t cmd_line_ptr;
	uint32_t initrd_addr_max;
	uint32_t kernel_alignment;
	uint8_t relocatable_kernel;
	uint8_t min_alignment;
	uint16_t xloadflags;
	uint32_t cmdline_size;
	uint32_t hardware_subarch;
	uint64_t hardware_subarch_data;
	uint32_t payload_offset;
	uint32_t payload_length;
	uint64_t setup_data;
	uint64_t pref_address;
	uint32_t init_size;
	uint32_t handover_offset;
	uint32_t kernel_info_offset;
} __attribute__((packed));

struct linux_boot_params {
	uint8_t pad_0[0xc0];          /* screen_info ... olpc_ofw_header */
	uint32_t ext_ramdisk_image;   /* 0x0c0 */
	uint32_t ext_ramdisk_size;    /* 0x0c4 */
	uint32_t ext_cmd_line_ptr;    /* 0x0c8 */
	uint8_t pad_1[0x1e8 - 0xcc];  /* ... edid_info, efi_info, alt_mem_k */
	uint8_t e820_entries;         /* 0x1e8 */
	uint8_t pad_2[0x1f1 - 0x1e9]; /* eddbuf_entries ... sentinel */
	struct linux_setup_header hdr; /* 0x1f1 */
	uint8_t pad_3[0x2d0 - 0x1f1 - sizeof(struct linux_setup_header)];
	struct linux_e820_entry e820_table[LINUX_E820_MAX]; /* 0x2d0 */
	uint8_t pad_4[0x1000 - 0xcd0]; /* eddbuf and the rest */
} __attribute__((packed));

/* Write the zero page, identity page tables and GDT, and put the BSP in
 * 64-bit long mode at p->entry with %rsi pointing at the zero page. */
int linux64_setup(struct guest_mem *m, const struct boot_plan *p,
		  struct boot_cpu_state *bsp, struct lerr *e);

#endif
