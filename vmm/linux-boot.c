/* linux-boot.c - placeholder until its owner lands it. */
