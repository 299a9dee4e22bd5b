"""``runtime.keep_freed_memory``: glibc's malloc keeps what a job frees for its next allocations."""

import os
import subprocess
import sys

import pytest

from tests.conftest import REPO

FREED_MIB = """
import ctypes, sys
import torch
from gialib import runtime
if sys.argv[1] == "kept":
    assert runtime.keep_freed_memory()
class MallInfo2(ctypes.Structure):
    _fields_ = [(n, ctypes.c_size_t) for n in ("arena", "ordblks", "smblks", "hblks", "hblkhd",
                                             "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost")]
libc = ctypes.CDLL(None)
libc.mallinfo2.restype = MallInfo2
blocks = [torch.ones(5 << 20) for _ in range(10)]  # 10 blocks of 20 MiB, freed below
del blocks
print(libc.mallinfo2().fordblks >> 20)  # MiB free in malloc's heap: kept, not returned
"""


def _free_mib(mode: str) -> int:
    proc = subprocess.run([sys.executable, "-c", FREED_MIB, mode], cwd=REPO, capture_output=True,
                          text=True, check=True)
    return int(proc.stdout.split()[-1])


@pytest.mark.skipif(not os.confstr("CS_GNU_LIBC_VERSION").startswith("glibc"), reason="not glibc")
def test_freed_blocks_stay_in_the_process():
    # glibc's default returns them (mmapped blocks unmapped, the heap's top trimmed): the
    # next iteration would fault every page in again
    assert _free_mib("default") < 20
    assert _free_mib("kept") >= 190
