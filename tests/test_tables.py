"""The aggregate stage's table: results only (same config, same bytes), each column once."""

import pandas as pd
import pytest

from gialib.experiments.base import split_run_columns, without_machine_paths
from gialib.fl.update import ClientConfig


def test_machine_paths_are_cut_to_file_names():
    text = ("LPIPS NOT computed: ImageNet backbone weights for alex not found at "
            "/root/.cache/torch/hub/checkpoints/alexnet-owt-7be5be79.pth (put them there)")
    assert without_machine_paths(text) == ("LPIPS NOT computed: ImageNet backbone weights for alex "
                                           "not found at alexnet-owt-7be5be79.pth (put them there)")


def test_run_columns_go_to_the_provenance_file():
    df = pd.DataFrame({"target": ["t", "t"], "local_updates": [1, 2], "psnr": [20.0, 18.0],
                       "provenance.attack_seconds": [1.5, 2.5], "run.lpips_status": ["a", "b"],
                       "run.igsa_seconds": [0.1, 0.2], "lpips_status": ["s", "s"]})
    results, run = split_run_columns(df)
    assert list(results.columns) == ["target", "local_updates", "psnr", "lpips_status"]
    assert list(run.columns) == ["target", "local_updates", "provenance.attack_seconds",
                                 "run.lpips_status", "run.igsa_seconds"]


def test_client_record_has_no_second_default():
    assert ClientConfig.from_config({"lr": 0.1, "shuffle": False, "bn_mode": "eval"}).bn_mode == "eval"
    with pytest.raises(ValueError, match=r"missing \['bn_mode'\]"):
        ClientConfig.from_config({"lr": 0.1, "shuffle": False})
    with pytest.raises(ValueError, match=r"unknown \['bnmode'\]"):
        ClientConfig.from_config({"lr": 0.1, "shuffle": False, "bn_mode": "eval", "bnmode": "x"})
