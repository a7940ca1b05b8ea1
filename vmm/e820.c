/* e820.c - placeholder until its owner lands it. */
