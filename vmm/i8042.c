/* i8042.c - placeholder until its owner lands it. */
