"""Whether a run fits the machine: the estimate is arithmetic on a model's config (no weights),
and the one check of a run refuses a run that will not fit, with its figure and the fix."""

from __future__ import annotations

import pytest

from core import checks
from core.fit import (
    GB,
    estimate_memory,
    model_size,
    refusal,
    samples_per_second,
    seconds_per_epoch,
    summary_line,
)
from core.methods import METHODS

QWEN25_05B = {  # Qwen/Qwen2.5-0.5B's config.json, the values that size it
    "model_type": "qwen2",
    "hidden_size": 896,
    "num_hidden_layers": 24,
    "num_attention_heads": 14,
    "num_key_value_heads": 2,
    "intermediate_size": 4864,
    "vocab_size": 151936,
    "max_position_embeddings": 32768,
}
GPT2 = {"model_type": "gpt2", "n_embd": 768, "n_layer": 12, "n_head": 12, "vocab_size": 50257,
        "n_positions": 1024}  # fmt: skip


def test_a_config_gives_the_parameter_count_without_weights():
    size = model_size(QWEN25_05B)
    assert (size.kv_heads, size.head_dim, size.gated) == (2, 64, True)
    assert 480e6 < size.parameters < 510e6  # Qwen2.5-0.5B has 494M
    assert 120e6 < model_size(GPT2).parameters < 130e6  # GPT-2 has 124M


def test_full_fine_tuning_of_half_a_billion_parameters_needs_about_8_gb_of_states():
    size = model_size(QWEN25_05B)
    full = estimate_memory(size, "full", 8, 128, "no")
    assert 7 * GB < full.trainable_states < 9 * GB  # fp32 weight, gradient, two AdamW moments
    assert full.frozen_weights == 0
    lora = estimate_memory(size, "lora", 8, 128, "bf16")
    assert lora.trainable_states < 0.2 * GB
    assert 0.9 * GB < lora.frozen_weights < 1.1 * GB  # 2 bytes a weight in bf16
    assert lora.total < full.total / 2
    weights = lora.frozen_weights + lora.trainable_states
    assert weights < (full.frozen_weights + full.trainable_states) / 7


def test_gradient_checkpointing_and_head_only_keep_fewer_activations():
    size = model_size(QWEN25_05B)
    kept = estimate_memory(size, "full", 16, 512, "bf16").activations
    assert estimate_memory(size, "full", 16, 512, "bf16", checkpointing=True).activations < kept / 4
    assert estimate_memory(size, "head_only", 16, 512, "bf16").activations < kept / 4
    assert estimate_memory(size, "full", 32, 512, "bf16").activations == pytest.approx(2 * kept)


def test_an_epoch_takes_longer_for_a_bigger_model_and_less_for_a_frozen_one():
    small, big = model_size(GPT2), model_size(QWEN25_05B)
    full = seconds_per_epoch(big, "full", 1000, 64)
    assert seconds_per_epoch(small, "full", 1000, 64) < full
    assert seconds_per_epoch(big, "lora", 1000, 64) == pytest.approx(full * 4 / 6)
    assert seconds_per_epoch(big, "full", 2000, 64) == pytest.approx(2 * full)


def test_rows_of_more_tokens_train_slower_in_proportion():
    size = model_size(QWEN25_05B)
    short = samples_per_second(size, "lora", 25)
    assert samples_per_second(size, "lora", 100) == pytest.approx(short / 4)
    assert seconds_per_epoch(size, "lora", 1000, 25) == pytest.approx(1000 / short)


def test_the_reference_model_trains_at_the_measured_reference_speed():
    from core.modeling import embedded_model_path, load_config

    minilm = model_size(load_config(str(embedded_model_path())))
    assert samples_per_second(minilm, "full") == pytest.approx(150, rel=0.1)


def test_a_frozen_model_read_from_an_fp32_file_peaks_while_it_loads():
    fp32_file = model_size(QWEN25_05B)
    bf16_file = model_size({**QWEN25_05B, "dtype": "bfloat16"})
    assert (fp32_file.stored_bytes, bf16_file.stored_bytes) == (4, 2)
    head = estimate_memory(fp32_file, "head_only", 8, 128, "bf16")
    assert head.loading > head.training  # the file and the bf16 weights, side by side
    assert head.total == pytest.approx(head.process + head.loading)
    assert 3 * GB < head.total < 4 * GB  # measured 3.3 GB (docs/BENCHMARKS.md)
    lighter = estimate_memory(bf16_file, "head_only", 8, 128, "bf16")
    assert lighter.total < head.total
    full = estimate_memory(fp32_file, "full", 8, 128, "bf16")
    assert full.training > full.loading  # AdamW's states outweigh the load


def test_the_refusal_gives_the_figure_and_what_to_change():
    estimate = estimate_memory(model_size(QWEN25_05B), "full", 8, 128, "no")
    assert refusal(estimate, 100 * GB, "full") is None
    message = refusal(estimate, 2 * GB, "full")
    assert message is not None
    assert f"{estimate.total / GB:.1f} GB" in message and "2.0 GB is available" in message
    assert "smaller model" in message and "gradient checkpointing" in message
    assert "LoRA" in message  # full fine-tuning is told of the PEFT methods
    lora = estimate_memory(model_size(QWEN25_05B), "lora", 8, 128, "bf16")
    assert "LoRA" not in str(refusal(lora, 0.1 * GB, "lora"))


def test_the_summary_line_gives_memory_and_minutes():
    estimate = estimate_memory(model_size(GPT2), "lora", 8, 128, "bf16")
    line = summary_line(estimate, 16 * GB, 150.0)
    assert line.startswith("Estimate: ~") and "GB peak memory of 16.0 GB available" in line
    assert line.endswith("~2.5 min per epoch on this machine")


def test_the_check_refuses_a_run_that_does_not_fit(monkeypatch):
    monkeypatch.setattr(checks, "available_bytes", lambda device: 0.1 * GB)
    values = {"data": "reviews.csv", "method": "full", "precision": "fp32"}
    problems = checks.check_run(values).problems
    assert len(problems) == 1
    assert "GB but 0.1 GB is available" in problems[0].message
    with pytest.raises(checks.ConfigProblems, match="choose a smaller model, a smaller batch"):
        checks.checked(values)
    monkeypatch.setattr(checks, "available_bytes", lambda device: 1000 * GB)
    assert checks.check_run(values).problems == []


def test_gradient_checkpointing_is_refused_where_it_saves_nothing():
    values = {"data": "reviews.csv", "method": "head_only", "gradient_checkpointing": True}
    with pytest.raises(checks.ConfigProblems, match="Head only keeps none"):
        checks.checked(values)


@pytest.mark.parametrize("method", [m for m in METHODS if m != "head_only"])
def test_gradient_checkpointing_is_accepted_where_the_backward_pass_runs_through_the_layers(
    method,
):
    values = {"data": "reviews.csv", "method": method, "gradient_checkpointing": True}
    assert checks.check_run(values).problems == []


def test_the_refusal_offers_checkpointing_only_where_it_helps_and_is_off():
    estimate = estimate_memory(model_size(QWEN25_05B), "lora", 8, 128, "bf16")
    assert "gradient checkpointing" in str(refusal(estimate, 0.1 * GB, "lora"))
    assert "gradient checkpointing" not in str(refusal(estimate, 0.1 * GB, "lora", True))
    assert "gradient checkpointing" not in str(refusal(estimate, 0.1 * GB, "head_only"))


def test_the_command_line_prints_the_estimate_when_the_run_starts(capsys, monkeypatch):
    from core import cli
    from core.config import TrainConfig
    from core.training.events import RunStarted

    monkeypatch.setattr(cli, "available_bytes", lambda device: 12 * GB)
    bar = cli.ProgressBar(enabled=False)
    bar.plan(TrainConfig(data="reviews.csv", method="lora", batch_size=8))
    started = RunStarted(method="lora", total_steps=10, trainable_params=1, total_params=2,
                         label_names=["a", "b"], train_rows=15_000, validation_rows=10,
                         max_length=64, precision="bf16", device="cpu", out="run")  # fmt: skip
    bar(started)
    line = capsys.readouterr().err.strip()
    assert line.startswith("Estimate: ~") and "GB peak memory of 12.0 GB available; ~" in line
    assert line.endswith("min per epoch on this machine")


@pytest.mark.train
def test_the_train_command_prints_one_estimate_line_before_training(
    tmp_path, reviews, tiny_model_dir, capsys
):
    from core.train import main

    args = ["--method", "head_only", "--data", str(reviews), "--model", str(tiny_model_dir),
            "--max-steps", "2", "--out", str(tmp_path / "run"), "--precision", "fp32",
            "--quiet"]  # fmt: skip
    assert main(args) == 0
    err = capsys.readouterr().err
    assert [line for line in err.splitlines() if line.startswith("Estimate: ~")] != []
    assert err.count("Estimate: ") == 1
