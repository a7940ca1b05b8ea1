/* guest-mem.c - placeholder until its owner lands it. */
