"""A tiny random-weight llama model in GGUF, for tests and demos on machines without model files.

It is a real llama.cpp model (2 layers, width 64, 4 heads, 2 KV heads, FFN 128, f32) with a
SentencePiece-style vocabulary: <unk>, <s>, </s>, the 256 byte tokens, "▁", printable ASCII
and a few words. Its answers are noise, but under a grammar they are well-formed, which is what
the LLM adapters need to be tested end to end: load, chat template, sampling, grammar, HTTP.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

_N_EMBD = 64
_N_HEAD = 4
_N_HEAD_KV = 2
_N_FF = 128
_N_LAYER = 2
_N_CTX = 512
_BIAS_LEVEL = 4.0

_WORDS = (
    "▁the",
    "▁a",
    "▁person",
    "▁car",
    "▁door",
    "▁night",
    "▁risk",
    "▁low",
    "▁high",
    "▁package",
    "▁delivery",
    "▁camera",
)

# A minimal chat template in the metadata lets llama-cpp-python (and its server) format chat
# messages the way a real GGUF would, through the same Jinja code path.
CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|' + message['role'] + '|>\n' + message['content'] + '\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|assistant|>\n' }}{% endif %}"
)


def _vocabulary() -> tuple[list[str], list[float], list[int]]:
    import gguf

    types = gguf.TokenType
    tokens = ["<unk>", "<s>", "</s>"]
    kinds = [types.UNKNOWN, types.CONTROL, types.CONTROL]
    tokens += [f"<0x{byte:02X}>" for byte in range(256)]
    kinds += [types.BYTE] * 256
    tokens.append("▁")
    kinds.append(types.NORMAL)
    tokens += [chr(c) for c in range(0x21, 0x7F)]
    kinds += [types.NORMAL] * (0x7F - 0x21)
    tokens += list(_WORDS)
    kinds += [types.NORMAL] * len(_WORDS)
    # SentencePiece merges by score: longer pieces first.
    scores = [
        0.0 if kind != types.NORMAL else -1000.0 + len(tok) for tok, kind in zip(tokens, kinds, strict=True)
    ]
    return tokens, scores, [int(kind) for kind in kinds]


def write_tiny_llama_gguf(
    path: Path,
    seed: int = 0,
    *,
    quote_bias: float = 5.0,
    context_length: int = _N_CTX,
    chat_template: str = CHAT_TEMPLATE,
) -> Path:
    """Write a tiny random-weight llama GGUF (about 0.5 MB) to `path` and return the path.

    The same seed gives the same file. It loads with `llama_cpp.Llama` and with
    `python -m llama_cpp.server`, and carries a chat template, so chat completion works.

    A purely random model closes a JSON string only by chance (about one token in 300), so its
    answers would run to the grammar's length limits and take seconds each. `quote_bias` adds
    that many logits to the '"' token wherever the grammar allows it, through one constant
    embedding dimension, so answers stay short; 0 gives a plain random model.
    `chat_template`: MULTIMODAL_CHAT_TEMPLATE for the in-process vision step's tests.
    """
    import gguf

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tokens, scores, kinds = _vocabulary()
    rng = np.random.default_rng(seed)
    head_dim = _N_EMBD // _N_HEAD

    def weight(*shape: int, std: float = 0.02) -> np.ndarray:
        return (rng.standard_normal(shape) * std).astype(np.float32)

    def ones(n: int) -> np.ndarray:
        return np.ones(n, dtype=np.float32)

    writer = gguf.GGUFWriter(str(path), "llama")
    writer.add_name("hsi-tiny-random-llama")
    writer.add_context_length(context_length)
    writer.add_embedding_length(_N_EMBD)
    writer.add_block_count(_N_LAYER)
    writer.add_feed_forward_length(_N_FF)
    writer.add_head_count(_N_HEAD)
    writer.add_head_count_kv(_N_HEAD_KV)
    writer.add_rope_dimension_count(head_dim)
    writer.add_rope_freq_base(10000.0)
    writer.add_layer_norm_rms_eps(1e-5)
    writer.add_vocab_size(len(tokens))
    writer.add_file_type(gguf.LlamaFileType.ALL_F32)
    writer.add_tokenizer_model("llama")
    writer.add_token_list(tokens)
    writer.add_token_scores(scores)
    writer.add_token_types(kinds)
    writer.add_unk_token_id(0)
    writer.add_bos_token_id(1)
    writer.add_eos_token_id(2)
    writer.add_add_bos_token(True)
    writer.add_add_eos_token(False)
    writer.add_chat_template(chat_template)

    # numpy shape is (rows, columns) = (out, in); GGUF stores the reverse, as llama.cpp expects.
    n_vocab = len(tokens)
    kv_width = _N_HEAD_KV * head_dim
    embeddings = weight(n_vocab, _N_EMBD, std=1.0)
    embeddings[:, 0] = _BIAS_LEVEL  # a constant feature the output layer can read as a bias
    writer.add_tensor("token_embd.weight", embeddings)
    for layer in range(_N_LAYER):
        prefix = f"blk.{layer}"
        writer.add_tensor(f"{prefix}.attn_norm.weight", ones(_N_EMBD))
        writer.add_tensor(f"{prefix}.attn_q.weight", weight(_N_EMBD, _N_EMBD))
        writer.add_tensor(f"{prefix}.attn_k.weight", weight(kv_width, _N_EMBD))
        writer.add_tensor(f"{prefix}.attn_v.weight", weight(kv_width, _N_EMBD))
        writer.add_tensor(f"{prefix}.attn_output.weight", weight(_N_EMBD, _N_EMBD))
        writer.add_tensor(f"{prefix}.ffn_norm.weight", ones(_N_EMBD))
        writer.add_tensor(f"{prefix}.ffn_gate.weight", weight(_N_FF, _N_EMBD))
        writer.add_tensor(f"{prefix}.ffn_up.weight", weight(_N_FF, _N_EMBD))
        writer.add_tensor(f"{prefix}.ffn_down.weight", weight(_N_EMBD, _N_FF))
    writer.add_tensor("output_norm.weight", ones(_N_EMBD))
    output = weight(n_vocab, _N_EMBD, std=0.3)
    output[:, 0] = 0.0
    # After the final RMS norm the constant feature is about _BIAS_LEVEL / rms(hidden).
    rms = np.sqrt((_BIAS_LEVEL**2 + _N_EMBD - 1) / _N_EMBD)
    output[tokens.index('"'), 0] = quote_bias * rms / _BIAS_LEVEL
    writer.add_tensor("output.weight", output)

    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


# A chat template that also takes OpenAI-style content parts (text and image), as real
# multimodal GGUFs do: llama-cpp-python's multimodal handler turns each image part into a text
# part holding libmtmd's media marker, where the image's embeddings then go.
MULTIMODAL_CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|' + message['role'] + '|>\n' }}"
    "{% if message['content'] is string %}{{ message['content'] }}"
    "{% else %}{% for part in message['content'] %}"
    "{% if part['type'] == 'text' %}{{ part['text'] }}{% endif %}"
    "{% endfor %}{% endif %}"
    "{{ '\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|assistant|>\n' }}{% endif %}"
)

# The tiny projector: a 2-layer ViT (width 32, 2 heads, FFN 48) on 64x64 images in 16x16
# patches, so each image becomes 16 tokens, then LLaVA's two-layer MLP up to the text width.
MMPROJ_IMAGE_SIZE = 64
MMPROJ_PATCH_SIZE = 16
MMPROJ_TOKENS_PER_IMAGE = (MMPROJ_IMAGE_SIZE // MMPROJ_PATCH_SIZE) ** 2
_V_EMBD = 32
_V_HEAD = 2
_V_FF = 48  # not _V_EMBD: llama.cpp swaps ffn up/down of LLaVA projectors whose widths match
_V_LAYER = 2
_MM_HIDDEN = 64


def write_tiny_mmproj_gguf(
    path: Path, seed: int = 0, *, text_embd: int = _N_EMBD, position_embd_width: int = _V_EMBD
) -> Path:
    """Write a tiny random-weight LLaVA-style multimodal projector GGUF (about 100 kB) to `path`.

    The keys and tensor names are those libmtmd reads for projector type "mlp" (llama.cpp's
    tools/mtmd/clip.cpp and clip-impl.h in the llama.cpp that llama-cpp-python 0.3.36 vendors).
    Its output width is `text_embd`, the tiny text model's, so the two load together.
    `position_embd_width` other than the encoder's width makes a broken projector on which
    libmtmd aborts the process (for the tests of the load probe).
    """
    import gguf

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)

    def weight(*shape: int, std: float = 0.05) -> np.ndarray:
        return (rng.standard_normal(shape) * std).astype(np.float32)

    def zeros(n: int) -> np.ndarray:
        return np.zeros(n, dtype=np.float32)

    def ones(n: int) -> np.ndarray:
        return np.ones(n, dtype=np.float32)

    n_patches = MMPROJ_TOKENS_PER_IMAGE
    writer = gguf.GGUFWriter(str(path), "clip")
    writer.add_name("hsi-tiny-random-mmproj")
    writer.add_file_type(gguf.LlamaFileType.ALL_F32)
    writer.add_string("clip.projector_type", "mlp")
    writer.add_bool("clip.has_vision_encoder", True)
    writer.add_bool("clip.has_audio_encoder", False)
    writer.add_bool("clip.use_gelu", True)
    writer.add_uint32("clip.vision.image_size", MMPROJ_IMAGE_SIZE)
    writer.add_uint32("clip.vision.patch_size", MMPROJ_PATCH_SIZE)
    writer.add_uint32("clip.vision.embedding_length", _V_EMBD)
    writer.add_uint32("clip.vision.feed_forward_length", _V_FF)
    writer.add_uint32("clip.vision.projection_dim", text_embd)
    writer.add_uint32("clip.vision.block_count", _V_LAYER)
    writer.add_uint32("clip.vision.attention.head_count", _V_HEAD)
    writer.add_float32("clip.vision.attention.layer_norm_epsilon", 1e-5)
    writer.add_array("clip.vision.image_mean", [0.5, 0.5, 0.5])
    writer.add_array("clip.vision.image_std", [0.5, 0.5, 0.5])

    # numpy shape (out, in); a conv kernel is (out channels, in channels, height, width).
    writer.add_tensor("v.patch_embd.weight", weight(_V_EMBD, 3, MMPROJ_PATCH_SIZE, MMPROJ_PATCH_SIZE))
    writer.add_tensor("v.patch_embd.bias", zeros(_V_EMBD))
    writer.add_tensor("v.position_embd.weight", weight(n_patches, position_embd_width))
    writer.add_tensor("v.pre_ln.weight", ones(_V_EMBD))
    writer.add_tensor("v.pre_ln.bias", zeros(_V_EMBD))
    for layer in range(_V_LAYER):
        prefix = f"v.blk.{layer}"
        for name in ("attn_q", "attn_k", "attn_v", "attn_out"):
            writer.add_tensor(f"{prefix}.{name}.weight", weight(_V_EMBD, _V_EMBD))
            writer.add_tensor(f"{prefix}.{name}.bias", zeros(_V_EMBD))
        writer.add_tensor(f"{prefix}.ln1.weight", ones(_V_EMBD))
        writer.add_tensor(f"{prefix}.ln1.bias", zeros(_V_EMBD))
        writer.add_tensor(f"{prefix}.ln2.weight", ones(_V_EMBD))
        writer.add_tensor(f"{prefix}.ln2.bias", zeros(_V_EMBD))
        writer.add_tensor(f"{prefix}.ffn_up.weight", weight(_V_FF, _V_EMBD))
        writer.add_tensor(f"{prefix}.ffn_up.bias", zeros(_V_FF))
        writer.add_tensor(f"{prefix}.ffn_down.weight", weight(_V_EMBD, _V_FF))
        writer.add_tensor(f"{prefix}.ffn_down.bias", zeros(_V_EMBD))
    writer.add_tensor("mm.0.weight", weight(_MM_HIDDEN, _V_EMBD, std=0.2))
    writer.add_tensor("mm.0.bias", zeros(_MM_HIDDEN))
    writer.add_tensor("mm.2.weight", weight(text_embd, _MM_HIDDEN, std=0.2))
    writer.add_tensor("mm.2.bias", zeros(text_embd))

    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path
