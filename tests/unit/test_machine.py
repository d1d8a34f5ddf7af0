"""Where a run ran: the CPU's identity from /proc/cpuinfo, so runs on different CPUs are told apart."""

from loadtest.servers import machine

CPUINFO = """processor\t: 0
vendor_id\t: GenuineIntel
cpu family\t: 6
model\t\t: 106
model name\t: Intel(R) Xeon(R) Platinum 8370C CPU @ 2.80GHz
stepping\t: 6
microcode\t: 0xffffffff
cpu MHz\t\t: 2095.076
cache size\t: 49152 KB
flags\t\t: fpu vme de pse hypervisor avx512f

processor\t: 1
model name\t: something else
"""


def test_cpu_identity_from_the_first_processor():
    c = machine.cpu(CPUINFO)
    assert c["vendor"] == "GenuineIntel" and c["mhz"] == 2095.076 and c["cache"] == "49152 KB"
    assert c["hypervisor"] is True
    assert c["identity"] == "Intel(R) Xeon(R) Platinum 8370C CPU @ 2.80GHz (family 6, model 106, stepping 6)"


def test_no_hypervisor_flag_on_bare_metal():
    assert machine.cpu(CPUINFO.replace(" hypervisor", ""))["hypervisor"] is False
