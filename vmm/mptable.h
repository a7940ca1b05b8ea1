/* mptable.h - Intel MultiProcessor Specification 1.4 tables: how a guest
 * without ACPI learns its CPUs, its ISA bus and its I/O APIC. */
#ifndef LIGHTER_VMM_MPTABLE_H
#define LIGHTER_VMM_MPTABLE_H

#include <stddef.h>
#include <stdint.h>

#include <lighter/error.h>

#include "guest-mem.h"

#define MPTABLE_MAX_CPUS 64
#define MPTABLE_NR_IRQS 24 /* I/O APIC pins, ISA IRQs 0..23 routed 1:1 */

#define MPC_SIGNATURE "PCMP"
#define MPF_SIGNATURE "_MP_"
#define MP_SPEC_REV 4 /* 1.4 */
#define MP_APIC_VERSION 0x14
#define MP_IOAPIC_VERSION 0x11

enum mp_entry_type {
	MP_PROCESSOR = 0,
	MP_BUS = 1,
	MP_IOAPIC = 2,
	MP_INTSRC = 3,
	MP_LINTSRC = 4,
};

#define MP_CPU_ENABLED 0x01
#define MP_CPU_BSP 0x02
#define MP_IOAPIC_ENABLED 0x01
#define MP_IRQ_INT 0
#define MP_IRQ_NMI 1
#define MP_IRQ_EXTINT 3

struct mpf_intel {
	char signature[4];
	uint32_t physptr;
	uint8_t length; /* in 16-byte units */
	uint8_t specification;
	uint8_t checksum;
	uint8_t feature1;
	uint8_t feature2;
	uint8_t feature3;
	uint8_t feature4;
	uint8_t feature5;
} __attribute__((packed));

struct mpc_table {
	char signature[4];
	uint16_t length; /* base table, header included */
	uint8_t spec;
	uint8_t checksum;
	char oem[8];
	char productid[12];
	uint32_t oemptr;
	uint16_t oemsize;
	uint16_t oemcount; /* number of entries */
	uint32_t lapic;
	uint32_t reserved;
} __attribute__((packed));

struct mpc_cpu {
	uint8_t type;
	uint8_t apicid;
	uint8_t apicver;
	uint8_t cpuflag;
	uint32_t cpufeature;
	uint32_t featureflag;
	uint32_t reserved[2];
} __attribute__((packed));

struct mpc_bus {
	uint8_t type;
	uint8_t busid;
	char bustype[6];
} __attribute__((packed));

struct mpc_ioapic {
	uint8_t type;
	uint8_t apicid;
	uint8_t apicver;
	uint8_t flags;
	uint32_t apicaddr;
} __attribute__((packed));

struct mpc_intsrc {
	uint8_t type;
	uint8_t irqtype;
	uint16_t irqflag;
	uint8_t srcbus;
	uint8_t srcbusirq;
	uint8_t dstapic;
	uint8_t dstirq;
} __attribute__((packed));

struct mpc_lintsrc {
	uint8_t type;
	uint8_t irqtype;
	uint16_t irqflag;
	uint8_t srcbusid;
	uint8_t srcbusirq;
	uint8_t destapic;
	uint8_t destapiclint;
} __attribute__((packed));

/* Bytes of the configuration table (header and entries) for nr_cpus. */
size_t mptable_config_size(unsigned int nr_cpus);

/* Write the floating pointer at LAYOUT_MPTABLE_FP and the configuration
 * table at LAYOUT_MPTABLE_CONFIG for nr_cpus (1..MPTABLE_MAX_CPUS). */
int mptable_write(struct guest_mem *m, unsigned int nr_cpus, struct lerr *e);

#endif
