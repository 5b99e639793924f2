#!/usr/bin/env node
a <!-- b
--> c
