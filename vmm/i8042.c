/* i8042.c - a minimal 8042 keyboard controller (ports 0x60-0x64).
 *
 * Linux reboots a PC by pulsing the CPU reset line through the 8042
 * (command 0xFE on port 0x64, reboot=k) or through its output port
 * (command 0xD1, then a data byte with bit 0 clear); either stops the VM
 * as a guest-requested reset.  The rest answers the controller-level
 * commands of Linux's i8042 probe (read/write the configuration byte,
 * self tests) so it finishes quickly, without any keyboard or mouse
 * behind it.  Port 0x61 (system control port B) is normally emulated by
 * KVM's PIT; should it reach us it reads as "timer 2 output high". */
#include <string.h>

#include "i8042.h"

#define I8042_BASE 0x60
#define I8042_DATA 0    /* 0x60 */
#define I8042_PORT_B 1  /* 0x61 */
#define I8042_STATUS 4  /* 0x64 read */
#define I8042_COMMAND 4 /* 0x64 write */

#define STATUS_OBF 0x01     /* output buffer full */
#define STATUS_SYSFLAG 0x04 /* passed self test */
#define STATUS_CMD 0x08     /* last write was a command */

#define CMD_READ_CTR 0x20
#define CMD_WRITE_CTR 0x60
#define CMD_AUX_DISABLE 0xa7
#define CMD_AUX_ENABLE 0xa8
#define CMD_AUX_TEST 0xa9
#define CMD_SELF_TEST 0xaa
#define CMD_KBD_TEST 0xab
#define CMD_KBD_DISABLE 0xad
#define CMD_KBD_ENABLE 0xae
#define CMD_WRITE_OUTPUT 0xd1
#define CMD_PULSE_RESET 0xfe

#define SELF_TEST_OK 0x55
#define PORT_B_TIMER2_OUT 0x20
#define CTR_DEFAULT 0x45 /* kbd irq on, system flag, translate */

static void i8042_reply(struct i8042 *k, uint8_t v)
{
	k->out = v;
	k->out_full = true;
}

static void i8042_reset(struct i8042 *k)
{
	vcpus_stop(k->vcpus, VM_STOP_RESET, "guest requested reset");
}

static void i8042_command(struct i8042 *k, uint8_t cmd)
{
	switch (cmd) {
	case CMD_READ_CTR:
		i8042_reply(k, k->ctr);
		break;
	case CMD_WRITE_CTR:
	case CMD_WRITE_OUTPUT:
		k->pending_cmd = cmd;
		break;
	case CMD_SELF_TEST:
		i8042_reply(k, SELF_TEST_OK);
		break;
	case CMD_KBD_TEST:
	case CMD_AUX_TEST:
		i8042_reply(k, 0x00); /* interface OK */
		break;
	case CMD_PULSE_RESET:
		i8042_reset(k);
		break;
	case CMD_KBD_DISABLE:
	case CMD_KBD_ENABLE:
	case CMD_AUX_DISABLE:
	case CMD_AUX_ENABLE:
	default:
		break;
	}
}

static void i8042_data(struct i8042 *k, uint8_t v)
{
	uint8_t cmd = k->pending_cmd;

	k->pending_cmd = 0;
	switch (cmd) {
	case CMD_WRITE_CTR:
		k->ctr = v;
		break;
	case CMD_WRITE_OUTPUT:
		/* Output port bit 0 is the CPU reset line, active low. */
		if (!(v & 0x01))
			i8042_reset(k);
		break;
	default:
		/* A byte for the keyboard, which is not there. */
		break;
	}
}

static void i8042_read(void *opaque, uint64_t off, uint8_t *data,
		       unsigned int len)
{
	struct i8042 *k = opaque;

	memset(data, 0xff, len);
	switch (off) {
	case I8042_DATA:
		data[0] = k->out;
		k->out_full = false;
		break;
	case I8042_PORT_B:
		data[0] = PORT_B_TIMER2_OUT;
		break;
	case I8042_STATUS:
		data[0] = STATUS_SYSFLAG | (k->pending_cmd ? STATUS_CMD : 0) |
			  (k->out_full ? STATUS_OBF : 0);
		break;
	default:
		break;
	}
}

static void i8042_write(void *opaque, uint64_t off, const uint8_t *data,
			unsigned int len)
{
	struct i8042 *k = opaque;

	switch (off) {
	case I8042_DATA:
		i8042_data(k, data[0]);
		break;
	case I8042_COMMAND:
		i8042_command(k, data[0]);
		break;
	default:
		break;
	}
}

static const struct io_dev_ops i8042_ops = {
	.read = i8042_read,
	.write = i8042_write,
};

int i8042_init(struct i8042 *k, struct io_bus *bus, struct vcpus *vcpus,
	       struct lerr *e)
{
	memset(k, 0, sizeof(*k));
	k->vcpus = vcpus;
	k->ctr = CTR_DEFAULT;
	io_dev_init(&k->dev, "i8042", &i8042_ops, k);
	return io_bus_register(bus, IO_SPACE_PIO, I8042_BASE, 5, &k->dev, e);
}
