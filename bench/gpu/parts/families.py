"""Part 3: P-Tuning v2 on every encoder family, on the device, against CPU fp32.

Each family gets a small random encoder (two layers, head size 64 as in released models) wrapped
with a P-Tuning v2 prefix on the CPU; the same model then runs on the device in each precision,
as training runs it (frozen weights in the compute precision, autocast), and its last hidden
state and logits are compared with the CPU's in fp32. Twice: as it is, and with SDPA's math
kernel ruled out (only the flash and memory-efficient kernels allowed), so that a prefix path
that silently makes SDPA fall back to the slow math kernel shows, as an error that is reported
per family and precision instead of ending the check.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import torch

from bench.gpu.context import FAILED, PASSED, Bench, Outcome

TOLERANCES = {
    # The largest difference allowed, relative to the larger of 1 and the reference's largest
    # value, in the last hidden state (real tokens) and the logits of a two-layer model. A
    # result rounds to the format's unit roundoff u at each of roughly 15 operations in series
    # (projections, scores, softmax, context, feed-forward, norms), and the frozen weights are
    # rounded once too; errors of ~15 u then stay inside the bound, while a lost or misplaced
    # prefix changes the output by about 1 (the "prefix effect" column: the difference the
    # prefix makes on the CPU; a check whose tolerance is not 5 times below it is inconclusive).
    # Measured on the CPU in bf16: 0.009 to 0.022.
    "fp32": 1e-4,  # the same arithmetic; only the order of the sums differs between kernels
    "tf32": 1e-2,  # fp32 matmuls in TF32: 10-bit mantissa, u = 2^-11 = 4.9e-4, x 20
    "fp16": 1e-2,  # 10-bit mantissa, u = 2^-11 = 4.9e-4, x 20
    "bf16": 6e-2,  # 7-bit mantissa, u = 2^-8 = 3.9e-3, x 15
}
SIZES = {"hidden_size": 128, "num_hidden_layers": 2, "num_attention_heads": 2,
         "intermediate_size": 256, "max_position_embeddings": 128}  # fmt: skip
DISTILBERT_NAMES = {
    "hidden_size": "dim", "num_hidden_layers": "n_layers", "num_attention_heads": "n_heads",
    "intermediate_size": "hidden_dim",
}  # fmt: skip
FAMILY_SETTINGS: dict[str, dict[str, Any]] = {
    # As tests/conftest.py's tiny models: what each family's released checkpoints set.
    "roberta": {"type_vocab_size": 1},
    "xlm-roberta": {"type_vocab_size": 1},
    "camembert": {"type_vocab_size": 1},
    "albert": {"embedding_size": 64},
    "electra": {"embedding_size": 64},
    # reference_compile off: transformers versions that compile ModernBERT's layers on a GPU
    # by default would spend the check's minutes in torch.compile, once per precision
    "modernbert": {"reference_compile": False, "bos_token_id": 101, "eos_token_id": 102,
                   "cls_token_id": 101, "sep_token_id": 102, "global_attn_every_n_layers": 2,
                   "local_attention": 4},
    "deberta-v2": {"relative_attention": True, "pos_att_type": ["p2c", "c2p"],
                   "position_biased_input": False, "max_relative_positions": -1,
                   "position_buckets": 16, "norm_rel_ebd": "layer_norm", "share_att_key": True},
}  # fmt: skip
VOCAB = 1000
PROMPT = 8
MODES = ("default", "no_math")  # SDPA as it chooses; its flash and memory-efficient kernels only
LENGTHS = (24, 17, 9, 3)  # rows of different lengths: the padding mask is part of the path


def run(bench: Bench) -> Outcome:
    from core.modeling import SUPPORTED_MODEL_TYPES

    precisions = ("fp32", "bf16", "fp16") if bench.cuda else ("fp32", "bf16")
    rows = []
    for family in bench.sizes.families or SUPPORTED_MODEL_TYPES:
        bench.check_time()
        try:
            rows.append(compare_family(family, bench.device, precisions))
        except Exception as exc:  # noqa: BLE001 - one family's failure is reported, not raised
            rows.append({"family": family, "error": f"{type(exc).__name__}: {exc}"[:300]})
    problems = [problem for row in rows for problem in _problems(row)]
    figures = {"tolerances": TOLERANCES, "matmul_precision": torch.get_float32_matmul_precision(),
               "families": rows}  # fmt: skip
    return Outcome(FAILED if problems else PASSED, figures, _table(rows, precisions) + problems,
                   "; ".join(problems)[:300])  # fmt: skip


def compare_family(family: str, device: str, precisions: tuple[str, ...]) -> dict[str, Any]:
    """One family's differences from CPU fp32, per precision and per kernel choice."""
    batch = _inputs()
    reference = _wrapped(family)
    expected = _outputs(reference, batch, "cpu", contextlib.nullcontext)
    plain = _outputs(reference.model, batch, "cpu", contextlib.nullcontext)
    row: dict[str, Any] = {"family": family, "prefix_effect": _difference(plain, expected)}
    for precision in precisions:
        row[precision] = _on_device(family, batch, expected, device, precision)
    calls = [row[p][mode].pop("sdpa_calls", None) for p in precisions for mode in MODES]
    row["sdpa_calls"] = next((n for n in calls if n is not None), None)
    return row


def _on_device(
    family: str, batch: dict[str, torch.Tensor], expected: Any, device: str, precision: str
) -> dict[str, Any]:
    from core.training.precision import DTYPES, MixedPrecision, frozen_in_compute_precision

    model = _wrapped(family).to(device)
    frozen_in_compute_precision(model, DTYPES.get(precision))
    mixed = MixedPrecision({"fp32": "no"}.get(precision, precision), device)
    tolerance = TOLERANCES[_kind(precision, device)]
    result: dict[str, Any] = {"tolerance": tolerance}
    for mode, kernels in (("default", contextlib.nullcontext), ("no_math", _without_math)):
        with _counted() as calls, warnings.catch_warnings(record=True) as seen:
            warnings.simplefilter("always")
            try:
                with kernels():
                    found = _outputs(model, batch, device, mixed.autocast)
            except RuntimeError as exc:
                first = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
                if mode == "default":
                    result[mode] = {"ok": False, "failed": first}
                else:  # no kernel but the math one could take it: a fallback
                    why = sorted({str(w.message).splitlines()[0][:200] for w in seen})[:3]
                    result[mode] = {"ok": False, "fallback": first, "why": why}
                continue
        error = _difference(found, expected)
        result[mode] = {"ok": error <= tolerance, "error": error, "sdpa_calls": calls[0]}
    return result


def _kind(precision: str, device: str) -> str:
    """The tolerance that applies: fp32 on a GPU that multiplies fp32 in TF32 is TF32's."""
    tf32 = device == "cuda" and (
        torch.get_float32_matmul_precision() != "highest" or torch.backends.cuda.matmul.allow_tf32
    )
    return "tf32" if precision == "fp32" and tf32 else precision


def _config(family: str) -> Any:
    from transformers import CONFIG_MAPPING

    sizes = dict(SIZES)
    if family == "distilbert":
        sizes = {DISTILBERT_NAMES.get(k, k): v for k, v in sizes.items()}
    common = {"vocab_size": VOCAB, "num_labels": 2, "pad_token_id": 0}
    return CONFIG_MAPPING[family](**common, **sizes, **FAMILY_SETTINGS.get(family, {}))


def _wrapped(family: str) -> Any:
    """The family's random classifier with a P-Tuning v2 prefix, built on the CPU from seed 0
    (the same weights and prefix each time), in evaluation mode."""
    from transformers import AutoModelForSequenceClassification

    from core.methods.ptuning_v2 import PTuningV2

    torch.manual_seed(0)
    model = AutoModelForSequenceClassification.from_config(_config(family))
    method = PTuningV2()
    settings = method.config_cls(num_virtual_tokens=PROMPT, prefix_dropout=0.0)
    wrapped = method.wrap(model, settings).eval()
    # A random prefix, unlike the near-average keys and values a random model's own activations
    # give, so that the prefix moves the output far more than any tolerance: a prefix lost or
    # misplaced on the way to the attention cannot pass unseen.
    generator = torch.Generator().manual_seed(2)
    with torch.no_grad():
        wrapped.prefix.copy_(torch.randn(wrapped.prefix.shape, generator=generator) * 10)
    return wrapped


def _inputs() -> dict[str, torch.Tensor]:
    generator = torch.Generator().manual_seed(1)
    ids = torch.randint(5, VOCAB, (len(LENGTHS), max(LENGTHS)), generator=generator)
    ids[:, 0] = 101  # a first token as the tokenizers put it
    mask = torch.ones_like(ids)
    for row, length in enumerate(LENGTHS):
        ids[row, length:], mask[row, length:] = 0, 0
    return {"input_ids": ids, "attention_mask": mask}


@torch.no_grad()
def _outputs(
    model: Any, batch: dict[str, torch.Tensor], device: str, autocast: Callable[[], Any]
) -> tuple[torch.Tensor, torch.Tensor]:
    """The last hidden state of the real tokens and the logits, in fp32 on the CPU."""
    moved = {name: tensor.to(device) for name, tensor in batch.items()}
    with autocast():
        out = model(**moved, output_hidden_states=True)
    real = moved["attention_mask"].bool()
    return out.hidden_states[-1][real].float().cpu(), out.logits.float().cpu()


def _difference(found: tuple[torch.Tensor, ...], expected: tuple[torch.Tensor, ...]) -> float:
    return max(float((f - e).abs().max() / max(1.0, float(e.abs().max())))
               for f, e in zip(found, expected, strict=True))  # fmt: skip


@contextlib.contextmanager
def _without_math() -> Iterator[None]:
    from torch.nn.attention import SDPBackend, sdpa_kernel

    with sdpa_kernel([SDPBackend.FLASH_ATTENTION, SDPBackend.EFFICIENT_ATTENTION]):
        yield


@contextlib.contextmanager
def _counted() -> Iterator[list[int]]:
    """Count the calls of torch's SDPA (the families with their own attention make none)."""
    original = torch.nn.functional.scaled_dot_product_attention
    calls = [0]

    def counting(*args: Any, **kwargs: Any) -> torch.Tensor:
        calls[0] += 1
        return original(*args, **kwargs)

    torch.nn.functional.scaled_dot_product_attention = counting
    try:
        yield calls
    finally:
        torch.nn.functional.scaled_dot_product_attention = original


def _problems(row: dict[str, Any]) -> list[str]:
    family = row["family"]
    if "error" in row:
        return [f"{family}: {row['error']}"]
    found = []
    for precision, result in row.items():
        if not isinstance(result, dict):
            continue
        for mode in MODES:
            seen = result[mode]
            if "failed" in seen:
                found.append(f"{family} {precision} ({mode}): {seen['failed']}")
            elif "fallback" in seen:
                found.append(f"{family} {precision}: without the math kernel: {seen['fallback']}"
                             f" ({'; '.join(seen['why'])})")  # fmt: skip
            elif not seen["ok"]:
                found.append(f"{family} {precision} ({mode}): off by {seen['error']:.2e}, "
                             f"allowed {result['tolerance']:.0e}")  # fmt: skip
        if row["prefix_effect"] < 5 * result["tolerance"]:
            effect = row["prefix_effect"]
            found.append(f"{family} {precision}: the prefix changes the output by {effect:.2e}, "
                         "not 5 times the tolerance: inconclusive")  # fmt: skip
    return found


def _table(rows: list[dict[str, Any]], precisions: tuple[str, ...]) -> list[str]:
    head = " | ".join(f"{p} (default / no math)" for p in precisions)
    lines = [f"| family | SDPA calls | prefix effect | {head} |",
             "|---|---|---|" + "---|" * len(precisions)]  # fmt: skip
    for row in rows:
        if "error" in row:
            lines.append(f"| {row['family']} | error: {row['error'][:120]} |")
            continue
        cells = [" / ".join(_cell(row[p][mode]) for mode in MODES)
                 for p in precisions]  # fmt: skip
        calls = "0 (own attention)" if row["sdpa_calls"] == 0 else row["sdpa_calls"]
        lines.append(f"| {row['family']} | {calls} | {row['prefix_effect']:.2f} | "
                     + " | ".join(cells) + " |")  # fmt: skip
    return lines


def _cell(result: dict[str, Any]) -> str:
    if "failed" in result:
        return "error"
    if "fallback" in result:
        return "falls back to math"
    return f"{result['error']:.1e}" + ("" if result["ok"] else " FAIL")
