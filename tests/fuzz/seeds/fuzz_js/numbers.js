x = 0x1F + 1_000n + .5e-3 + 08.5 + 1 .toString()
