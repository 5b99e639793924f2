return
x
a
++b
async
function f(){}
class A { x
[y] = 1 }
