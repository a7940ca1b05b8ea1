/* debug-port.c - placeholder until its owner lands it. */
