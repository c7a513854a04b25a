#!/usr/bin/python3
# Prints what torch 1.13 prints for the tensors of tests/core/print_test.cpp
# (run with Debian's /usr/bin/python3, which has python3-torch). The test holds
# these strings verbatim; rerun this script to check them.
import torch, math
nan, inf = float('nan'), float('inf')
cases = [
 "torch.tensor([1., 2.])",
 "torch.tensor([0.1, 2.5])",
 "torch.tensor(3.)",
 "torch.tensor(0.1)",
 "torch.tensor(1e-5)",
 "torch.tensor([1e-5, 1.])",
 "torch.tensor([1e9, 1.])",
 "torch.tensor([1., 1000.])",
 "torch.tensor([1., 1001.])",
 "torch.tensor([0.5, 1000.])",
 "torch.arange(12).reshape(3, 4)",
 "torch.tensor([True, False])",
 "torch.tensor([1.5, 2.], dtype=torch.float64)",
 "torch.tensor([1., 2.], requires_grad=True)",
 "torch.tensor([[1.5, -2.25], [3., 4.]])",
 "torch.arange(24.).reshape(2, 3, 4)",
 "torch.arange(30.) / 7",
 "torch.arange(2000.)",
 "torch.arange(1200.).reshape(40, 30)",
 "torch.arange(2000).reshape(2, 10, 100)",
 "torch.zeros(0)",
 "torch.zeros(2, 0)",
 "torch.zeros(0, dtype=torch.int64)",
 "torch.zeros(0, 3, dtype=torch.bool)",
 "torch.tensor([nan, inf, -inf, 1.5])",
 "torch.tensor([nan, inf, -inf, 2.])",
 "torch.tensor([0., 0.])",
 "torch.tensor([-0., 1.])",
 "torch.tensor([-1.5, 0.25])",
 "torch.tensor(5)",
 "torch.tensor([123456789012, -3])",
 "torch.tensor(True)",
 "torch.tensor(2.5, dtype=torch.float64, requires_grad=True)",
 "torch.arange(16.).reshape(4, 4).div(3).to(torch.float64).requires_grad_()",
 "torch.tensor([[1e-8, 1.], [2., 3.]])",
 "torch.tensor([0.1, 0.2], dtype=torch.float32)",
 "torch.tensor([1/3, 2/3], dtype=torch.float64)",
 "torch.tensor([1e20, -1e-20])",
 "torch.tensor([[[True, False]], [[False, True]]])",
]
for c in cases:
    print("#", c)
    print(repr(str(eval(c))))
x = torch.tensor([1., 2.], requires_grad=True)
print("# x * 2"); print(repr(str(x * 2)))
