/* io-bus.c - placeholder until its owner lands it. */
