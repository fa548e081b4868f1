// SPDX-License-Identifier: MIT
/*
 * bhconfig new --board B: a starting system that `bhconfig check` accepts as written: the root,
 * one bare-metal child with a crash policy, a VMBus channel between them and the child's
 * integration channel, each property commented. The addresses are each board's facts, as the
 * board files (boards/) and the shipped systems (partitions/) have them.
 */
#define _POSIX_C_SOURCE 200809L
#include "new.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

struct board_plan {
	const char *name;
	const char *include; /* the board file, from boards/ */
	const char *about;   /* what the board is and how to check the system */
	const char *plan;    /* the memory plan, a comment */
	unsigned long long root_pa, child_pa, image_pa, channel_pa;
};

static const struct board_plan plans[] = {
	{
		"qemu-virt",
		"qemu-virt/qemu-virt-gicv3.dtsi",
		" * QEMU virt, GICv3, 4 Cortex-A72, 1 GiB "
		"(boards/qemu-virt/qemu-virt-gicv3.dtsi).\n"
		" * Check it:  bhconfig check FILE\n"
		" * Boot it:   compile it (bhconfig dtb FILE -o system.dtb), then\n"
		" *   qemu-system-aarch64 -M virt,virtualization=on,gic-version=3 -cpu cortex-a72 "
		"\\\n"
		" *     -smp 4 -m 1G -nographic -kernel bulkhead.bin -dtb system.dtb \\\n"
		" *     -device loader,file=root.bin,addr=0x4c000000,force-raw=on \\\n"
		" *     -device loader,file=rt0.bin,addr=0x4c100000,force-raw=on\n",
		" *   PA 0x40200000  4 MiB   Bulkhead (QEMU -kernel puts it here)\n"
		" *   PA 0x41000000 64 MiB   root\n"
		" *   PA 0x45000000 16 MiB   rt0\n"
		" *   PA 0x48000000  2 MiB   QEMU's copy of this tree: keep clear\n"
		" *   PA 0x4b000000 80 KiB   the two channels\n"
		" *   PA 0x4c000000  2 MiB   the images, 1 MiB slot each (QEMU -device loader)\n",
		0x41000000,
		0x45000000,
		0x4c000000,
		0x4b000000,
	},
	{
		"rpi4",
		"rpi4/rpi4.dtsi",
		" * Raspberry Pi 4 Model B: GIC-400, PL011 UART0 at 0xfe201000, 4 Cortex-A72, the\n"
		" * first GiB of RAM less the VideoCore's (boards/rpi4/rpi4.dtsi; docs/boot.md).\n"
		" * U-Boot's booti puts Bulkhead at 0x200000, so check it with that placement:\n"
		" *   bhconfig --hyp 0x200000:4M check FILE\n"
		" * hyp: 0x200000:4M\n",
		" *   PA 0x00000000 512 KiB  TF-A bl31 (reserved by the board file)\n"
		" *   PA 0x00200000   4 MiB  Bulkhead (booti moves it here)\n"
		" *   PA 0x02400000   4 MiB  U-Boot's script, tree and ramdisk addresses (boot "
		"only)\n"
		" *   PA 0x04000000   2 MiB  the images, 1 MiB slot each (U-Boot: load mmc 0:1 "
		"...)\n"
		" *   PA 0x08000000  64 MiB  root\n"
		" *   PA 0x0c000000  16 MiB  rt0\n"
		" *   PA 0x0e000000  80 KiB  the two channels\n"
		" *   above 0x2e000000       the firmware's tree, U-Boot and its heap: keep "
		"clear\n",
		0x08000000,
		0x0c000000,
		0x04000000,
		0x0e000000,
	},
};

static void write_system(FILE *f, const struct board_plan *b)
{
	fprintf(f,
		"// SPDX-License-Identifier: MIT\n"
		"/*\n"
		" * A Bulkhead system, from `bhconfig new --board %s`.\n"
		"%s"
		" * `bhconfig explain PROPERTY` prints any property's documentation; the binding "
		"is\n"
		" * docs/binding.md, channels docs/vmbus.md, the crash policy docs/management.md.\n"
		" *\n"
		" * Memory plan (PA = host physical address, IPA = what a partition sees):\n"
		"%s"
		" */\n"
		"/dts-v1/;\n\n"
		"/include/ \"%s\" /* the board: CPUs cpu0-cpu3, RAM, GIC, console UART */\n\n",
		b->name, b->about, b->plan, b->include);
	fprintf(f,
		"/ {\n"
		"\tbulkhead {\n"
		"\t\tcompatible = \"bulkhead,system-v1\";\n"
		"\t\t#address-cells = <2>; /* every address below is <high low> */\n"
		"\t\t#size-cells = <2>;    /* and so is every size */\n\n"
		"\t\t/* The root partition: it runs first and starts, stops and restarts the\n"
		"\t\t   children (docs/management.md). */\n"
		"\t\troot {\n"
		"\t\t\tcompatible = \"bulkhead,partition-v1\";\n"
		"\t\t\troot;            /* exactly one partition is the root */\n"
		"\t\t\tcpus = <&cpu0>;  /* its own physical CPUs, one vCPU each */\n"
		"\t\t\t/* <IPA PA size>: 64 MiB seen at 0x40000000 */\n"
		"\t\t\tmemory = <0x0 0x40000000 0x0 0x%08llx 0x0 0x04000000>;\n"
		"\t\t\tbootargs = \"hello from the root\"; /* bh_bootarg() in an SDK program */\n\n"
		"\t\t\t/* An image: where the boot loader put it (reg), where it is copied to\n"
		"\t\t\t   at every start (load). With file = \"path\" instead of reg,\n"
		"\t\t\t   `bhconfig layout` places the file and writes the loader's commands. */\n"
		"\t\t\tapp {\n"
		"\t\t\t\tcompatible = \"bulkhead,image-v1\";\n"
		"\t\t\t\treg = <0x0 0x%08llx 0x0 0x100000>; /* PA, size: a 1 MiB slot */\n"
		"\t\t\t\tload = <0x0 0x40000000>;             /* IPA; entered there */\n"
		"\t\t\t};\n"
		"\t\t};\n\n",
		b->root_pa, b->image_pa);
	fprintf(f,
		"\t\t/* A bare-metal child built with the guest SDK (guest-sdk/README.md). */\n"
		"\t\trt0 {\n"
		"\t\t\tcompatible = \"bulkhead,partition-v1\";\n"
		"\t\t\tcpus = <&cpu1>;\n"
		"\t\t\tmemory = <0x0 0x40000000 0x0 0x%08llx 0x0 0x01000000>; /* 16 MiB */\n"
		"\t\t\ton-fault = \"stop\";      /* a stray access stops it with a report */\n"
		"\t\t\t/* Its crash policy, kept by the root's management service: restart it\n"
		"\t\t\t   after a crash or 1 s without a heartbeat, at most 3 times. */\n"
		"\t\t\ton-crash = \"restart\";\n"
		"\t\t\twatchdog-ms = <1000>;   /* needs the integration channel below */\n"
		"\t\t\tmax-restarts = <3>;\n"
		"\t\t\trestart-delay-ms = <100>;\n\n"
		"\t\t\tapp {\n"
		"\t\t\t\tcompatible = \"bulkhead,image-v1\";\n"
		"\t\t\t\treg = <0x0 0x%08llx 0x0 0x100000>;\n"
		"\t\t\t\tload = <0x0 0x40000000>;\n"
		"\t\t\t};\n"
		"\t\t};\n\n",
		b->child_pa, b->image_pa + 0x100000);
	fprintf(f,
		"\t\t/* VMBus channels: shared rings between two partitions with doorbell\n"
		"\t\t   interrupts (docs/vmbus.md). */\n"
		"\t\tvmbus {\n"
		"\t\t\tcompatible = \"bulkhead,vmbus-v1\";\n\n"
		"\t\t\techo {\n"
		"\t\t\t\tcompatible = \"bulkhead,channel-v1\";\n"
		"\t\t\t\tinterface = \"echo\";   /* the service; examples/vsp provides it */\n"
		"\t\t\t\tprovider = \"root\";    /* partition names */\n"
		"\t\t\t\tconsumer = \"rt0\";\n"
		"\t\t\t\t/* PA and size of the shared RAM: the two rings together */\n"
		"\t\t\t\treg = <0x0 0x%08llx 0x0 0x10000>;\n"
		"\t\t\t\tring-sizes = <0x0 0x8000 0x0 0x8000>; /* provider's, consumer's */\n"
		"\t\t\t\tprovider-ipa = <0x0 0x70000000>; /* where the root sees it */\n"
		"\t\t\t\tconsumer-ipa = <0x0 0x50000000>; /* and rt0 */\n"
		"\t\t\t\tprovider-interrupt = <10>; /* doorbell SPIs (INTID 42) */\n"
		"\t\t\t\tconsumer-interrupt = <10>;\n"
		"\t\t\t};\n\n"
		"\t\t\t/* rt0's integration channel: heartbeats for the watchdog, shutdown\n"
		"\t\t\t   requests, the time (docs/management.md). */\n"
		"\t\t\trt0-integ {\n"
		"\t\t\t\tcompatible = \"bulkhead,channel-v1\";\n"
		"\t\t\t\tinterface = \"integration\";\n"
		"\t\t\t\tprovider = \"root\";\n"
		"\t\t\t\tconsumer = \"rt0\";\n"
		"\t\t\t\treg = <0x0 0x%08llx 0x0 0x4000>;\n"
		"\t\t\t\tring-sizes = <0x0 0x2000 0x0 0x2000>;\n"
		"\t\t\t\tprovider-ipa = <0x0 0x70010000>;\n"
		"\t\t\t\tconsumer-ipa = <0x0 0x50010000>;\n"
		"\t\t\t\tprovider-interrupt = <11>;\n"
		"\t\t\t\tconsumer-interrupt = <11>;\n"
		"\t\t\t};\n"
		"\t\t};\n"
		"\t};\n"
		"};\n",
		b->channel_pa, b->channel_pa + 0x10000);
}

int new_system(const char *board, const char *output)
{
	const struct board_plan *b = NULL;
	for (size_t i = 0; i < sizeof(plans) / sizeof(plans[0]); i++) {
		b = strcmp(plans[i].name, board) == 0 ? &plans[i] : b;
	}
	if (b == NULL) {
		fprintf(stderr, "error: --board %s: expected qemu-virt or rpi4\n", board);
		return 2;
	}
	if (output == NULL) {
		write_system(stdout, b);
		return fflush(stdout) == 0 ? 0 : 1;
	}
	/* O_EXCL: a system someone edited is never overwritten. */
	int fd = open(output, O_WRONLY | O_CREAT | O_EXCL, 0644);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (f == NULL) {
		fprintf(stderr, "error: %s: %s\n", output, strerror(errno));
		if (fd >= 0) {
			close(fd);
		}
		return 1;
	}
	write_system(f, b);
	if (fclose(f) != 0) {
		fprintf(stderr, "error: %s: write failed\n", output);
		return 1;
	}
	printf("wrote %s: check it with `bhconfig%s check %s`\n", output,
	       strcmp(b->name, "rpi4") == 0 ? " --hyp 0x200000:4M" : "", output);
	return 0;
}
