if (a) /re/.test(b)
x = {} / 2
