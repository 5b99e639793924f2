a = `x${`y${z}`}w` + b
