"""Provenance: where a result was computed, told apart by the processor's name, not only its architecture."""

import platform

from ganrepro.core.provenance import cpu_model, hardware


def test_hardware_names_the_processor_with_and_without_torch():
    name = cpu_model()
    assert name and name.strip() == name
    for load_torch in (True, False):
        hw = hardware(load_torch=load_torch)
        assert hw["cpu_model"] == name and hw["cpu_count"] >= 1
    # Control: on Linux the model name is more than platform's bare architecture ("x86_64").
    if platform.system() == "Linux" and "model name" in open("/proc/cpuinfo").read():
        assert name != platform.machine()
