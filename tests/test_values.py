"""llmkg.records.values: the parsers of record values.

The tables below hold every distinct value of the two lists (awesome-llms and
awesome-huge-models, their ```yaml blocks) with the result written out by hand; the counts
were checked against each text and against awesome-llms' own "maximum number of
parameters (in million)" column. ``test_*_table_covers_the_sources`` fails when a source
has a value the table lacks.
"""

from __future__ import annotations

import dataclasses
import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from llmkg.records.values import (ParsedDate, ParsedParams, Variant, is_absolute_http_url, paper_id,
                                  parse_date, parse_integer, parse_millions, parse_number, parse_params,
                                  slugify, split_organizations, split_urls)

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ROOT.parent / "shared" / "sources"
LLMS = SOURCES / "awesome-llms.README.md"
HUGE = SOURCES / "awesome-huge-models.README.md"


def yaml_values(path: Path, keys: set[str]) -> list[str]:
    """The values of ``keys`` in the ```yaml blocks of a list, in order, repeats dropped."""
    out: list[str] = []
    inside = False
    for line in path.read_text(encoding="utf-8").splitlines():
        s = line.strip()
        if s.startswith("```yaml"):
            inside = True
        elif s.startswith("```"):
            inside = False
        elif inside:
            m = re.match(r"^([^:]+?):\s?(.*)$", s)
            if m and m.group(1).strip() in keys and m.group(2).strip() not in out:
                out.append(m.group(2).strip())
    return out


needs_sources = pytest.mark.skipif(not (LLMS.exists() and HUGE.exists()),
                                   reason="shared/sources/ is not beside the repository")


def V(written: str, count: int, label: str | None = None) -> Variant:
    return Variant(label or written, count, written)


# --- number of parameters ----------------------------------------------------------------------
# text -> (variants in source order, ok); maximum = largest count; has_digits = any digit.
PARAMS: dict[str, tuple[tuple[Variant, ...], bool]] = {
    # awesome-llms `number of parameters`
    "117M": ((V("117M", 117_000_000),), True),
    "124M, 355M, 774M, 1.5B": ((V("124M", 124_000_000), V("355M", 355_000_000),
                                V("774M", 774_000_000), V("1.5B", 1_500_000_000)), True),
    "125M, 350M, 774M, 1.3B, 2.7B, 6.7B, 13B, 175B": (
        (V("125M", 125_000_000), V("350M", 350_000_000), V("774M", 774_000_000),
         V("1.3B", 1_300_000_000), V("2.7B", 2_700_000_000), V("6.7B", 6_700_000_000),
         V("13B", 13_000_000_000), V("175B", 175_000_000_000)), True),
    "12B": ((V("12B", 12_000_000_000),), True),
    # GLIDE: the parts in parentheses add up to 3.5B; the 1.5B upsampler is a second model
    "3.5B diffusion model (2.3B for visual encoding, 1.2B for textual) + 1.5B for model for upsampling": (
        (V("3.5B", 3_500_000_000), V("1.5B", 1_500_000_000)), True),
    "Same as GPT3": ((), True),
    "3.5B": ((V("3.5B", 3_500_000_000),), True),
    "175B": ((V("175B", 175_000_000_000),), True),
    "170T": ((V("170T", 170_000_000_000_000),), True),
    "Base = 110M, Large = 340M": ((V("110M", 110_000_000, "Base"), V("340M", 340_000_000, "Large")), True),
    "Base = 12M, Large = 18M, XLarge = 60M": (
        (V("12M", 12_000_000, "Base"), V("18M", 18_000_000, "Large"), V("60M", 60_000_000, "XLarge")), True),
    "60M, 220M, 770M, 3B, and 11B": (
        (V("60M", 60_000_000), V("220M", 220_000_000), V("770M", 770_000_000),
         V("3B", 3_000_000_000), V("11B", 11_000_000_000)), True),
    "Depends on the overall architecture": ((), True),
    "86M(Base) to 632M (Huge)": ((V("86M", 86_000_000, "Base"), V("632M", 632_000_000, "Huge")), True),
    "1T": ((V("1T", 1_000_000_000_000),), True),
    # GLaM: 96B is the part activated per token, not a variant; "64 experts" is no count
    "1.2T across 64 experts, but only 96B get activated for inference": (
        (V("1.2T", 1_200_000_000_000),), True),
    "137B": ((V("137B", 137_000_000_000),), True),
    "8B, 62B, and 540B": ((V("8B", 8_000_000_000), V("62B", 62_000_000_000),
                           V("540B", 540_000_000_000)), True),
    "20B": ((V("20B", 20_000_000_000),), True),
    "2B": ((V("2B", 2_000_000_000),), True),
    "540B": ((V("540B", 540_000_000_000),), True),
    "80M (Flan-T5-Small), 250M (Flan-T5-Base), 780M (FLan-T5-Large), 3B (Flan-T5-XL), and 11B (Flan-T5-XXL).": (
        (V("80M", 80_000_000, "Flan-T5-Small"), V("250M", 250_000_000, "Flan-T5-Base"),
         V("780M", 780_000_000, "FLan-T5-Large"), V("3B", 3_000_000_000, "Flan-T5-XL"),
         V("11B", 11_000_000_000, "Flan-T5-XXL")), True),
    "8B, 62B, 540B": ((V("8B", 8_000_000_000), V("62B", 62_000_000_000),
                       V("540B", 540_000_000_000)), True),
    "151M": ((V("151M", 151_000_000),), True),
    "Base=117M, Large=360M": ((V("117M", 117_000_000, "Base"), V("360M", 360_000_000, "Large")), True),
    "Ernie-ViLG 2.0 = 10B, Ernie 3.0 Titan = 260B": (
        (V("10B", 10_000_000_000, "Ernie-ViLG 2.0"), V("260B", 260_000_000_000, "Ernie 3.0 Titan")), True),
    "125M Base, and 356M Large": ((V("125M", 125_000_000, "Base"), V("356M", 356_000_000, "Large")), True),
    "1.63B": ((V("1.63B", 1_630_000_000),), True),
    # AlphaFold (a copy of ALBERT's text with a typo): the glued "b" stays in the text
    "b12M, Large = 18M, XLarge = 60M": (
        (V("b12M", 12_000_000), V("18M", 18_000_000, "Large"), V("60M", 60_000_000, "XLarge")), True),
    "44M, 117M, 417M, 1.4B, 7.1B, and 280B": (
        (V("44M", 44_000_000), V("117M", 117_000_000), V("417M", 417_000_000),
         V("1.4B", 1_400_000_000), V("7.1B", 7_100_000_000), V("280B", 280_000_000_000)), True),
    "70B": ((V("70B", 70_000_000_000),), True),
    "280B": ((V("280B", 280_000_000_000),), True),
    # "largest" describes, it does not name
    "80B (largest)": ((V("80B", 80_000_000_000),), True),
    "79M, 364M, and 1.18B": ((V("79M", 79_000_000), V("364M", 364_000_000),
                              V("1.18B", 1_180_000_000)), True),
    "Base = 140M, Large = 400M. In general, roughly 10% larger than BART for equivalent architectures": (
        (V("140M", 140_000_000, "Base"), V("400M", 400_000_000, "Large")), True),
    "Base = 270M Large = 550M": ((V("270M", 270_000_000, "Base"), V("550M", 550_000_000, "Large")), True),
    "Same as BART": ((), True),
    "400M": ((V("400M", 400_000_000),), True),
    "125M (small), 800M (small), 2.7B (medium) and 13B (large)": (
        (V("125M", 125_000_000, "small"), V("800M", 800_000_000, "small"),
         V("2.7B", 2_700_000_000, "medium"), V("13B", 13_000_000_000, "large")), True),
    # a "Name: a, b" group names each of its counts "Name a", "Name b"
    "SeeKeR Dialogue: 400M, 3B; SeeKeR LM: 365M, 762M, 1.5B, R2C2 BlenderBot: 400M, 3B": (
        (V("400M", 400_000_000, "SeeKeR Dialogue 400M"), V("3B", 3_000_000_000, "SeeKeR Dialogue 3B"),
         V("365M", 365_000_000, "SeeKeR LM 365M"), V("762M", 762_000_000, "SeeKeR LM 762M"),
         V("1.5B", 1_500_000_000, "SeeKeR LM 1.5B"), V("400M", 400_000_000, "R2C2 BlenderBot 400M"),
         V("3B", 3_000_000_000, "R2C2 BlenderBot 3B")), True),
    "125M, 350M, 1.3B, 2.7B, 6.7B, 13B, 30B, 66B, and 175B": (
        (V("125M", 125_000_000), V("350M", 350_000_000), V("1.3B", 1_300_000_000),
         V("2.7B", 2_700_000_000), V("6.7B", 6_700_000_000), V("13B", 13_000_000_000),
         V("30B", 30_000_000_000), V("66B", 66_000_000_000), V("175B", 175_000_000_000)), True),
    "3B, 30B and 175B": ((V("3B", 3_000_000_000), V("30B", 30_000_000_000),
                          V("175B", 175_000_000_000)), True),
    "117M, 345M and 762M": ((V("117M", 117_000_000), V("345M", 345_000_000),
                             V("762M", 762_000_000)), True),
    "100M (Base), 350M (Large), 700M (X-large), and 1.5B (XX-large)": (
        (V("100M", 100_000_000, "Base"), V("350M", 350_000_000, "Large"),
         V("700M", 700_000_000, "X-large"), V("1.5B", 1_500_000_000, "XX-large")), True),
    "Swin-Tiny (29M), Swin-Small (50M), Swin-Base (88M), and Swin-Large (197M)": (
        (V("29M", 29_000_000, "Swin-Tiny"), V("50M", 50_000_000, "Swin-Small"),
         V("88M", 88_000_000, "Swin-Base"), V("197M", 197_000_000, "Swin-Large")), True),
    "220M (base), 770M (large), and 175B (XL)": (
        (V("220M", 220_000_000, "base"), V("770M", 770_000_000, "large"),
         V("175B", 175_000_000_000, "XL")), True),
    "300M": ((V("300M", 300_000_000),), True),
    "7B": ((V("7B", 7_000_000_000),), True),
    "7B, 13B, and 70B": ((V("7B", 7_000_000_000), V("13B", 13_000_000_000),
                          V("70B", 70_000_000_000)), True),
    "13B": ((V("13B", 13_000_000_000),), True),
    "1B, 3B, 7B, 13B, 15B, and 34B": (
        (V("1B", 1_000_000_000), V("3B", 3_000_000_000), V("7B", 7_000_000_000),
         V("13B", 13_000_000_000), V("15B", 15_000_000_000), V("34B", 34_000_000_000)), True),
    "66M": ((V("66M", 66_000_000),), True),
    "Base = 223M Large = 568M": ((V("223M", 223_000_000, "Base"), V("568M", 568_000_000, "Large")), True),
    "Small = 14M, Base = 110M, Large = 335M": (
        (V("14M", 14_000_000, "Small"), V("110M", 110_000_000, "Base"),
         V("335M", 335_000_000, "Large")), True),
    "8.3B (GPT-like), 3.9B (BERT-like)": (
        (V("8.3B", 8_300_000_000, "GPT-like"), V("3.9B", 3_900_000_000, "BERT-like")), True),
    "530B": ((V("530B", 530_000_000_000),), True),
    "90M": ((V("90M", 90_000_000),), True),
    "125M, 350M, 1.3B, and 2.7B": ((V("125M", 125_000_000), V("350M", 350_000_000),
                                    V("1.3B", 1_300_000_000), V("2.7B", 2_700_000_000)), True),
    "6B": ((V("6B", 6_000_000_000),), True),
    "70M, 160M, 410M, 1B, 1.4B, 2.8B, 6.9B, 12B": (
        (V("70M", 70_000_000), V("160M", 160_000_000), V("410M", 410_000_000),
         V("1B", 1_000_000_000), V("1.4B", 1_400_000_000), V("2.8B", 2_800_000_000),
         V("6.9B", 6_900_000_000), V("12B", 12_000_000_000)), True),
    "Same as GPT": ((), True),
    "Smaller architecture than GPT": ((), True),
    "178B (Jumbo), 17B (Grande), 7.5B (Large)": (
        (V("178B", 178_000_000_000, "Jumbo"), V("17B", 17_000_000_000, "Grande"),
         V("7.5B", 7_500_000_000, "Large")), True),
    "13M, 42M, 197M, 810M, 2.7B, 13B, and 52B": (
        (V("13M", 13_000_000), V("42M", 42_000_000), V("197M", 197_000_000),
         V("810M", 810_000_000), V("2.7B", 2_700_000_000), V("13B", 13_000_000_000),
         V("52B", 52_000_000_000)), True),
    "890M (although there are different, smaller, variants)": ((V("890M", 890_000_000),), True),
    # a ratio, not a count: no variant, and no error either
    "Up to 30x reduction in parameters compared to standard BART": ((), True),
    "Base = 110M, Large = 335M, and also 2B, 10B, 130B": (
        (V("110M", 110_000_000, "Base"), V("335M", 335_000_000, "Large"), V("2B", 2_000_000_000),
         V("10B", 10_000_000_000), V("130B", 130_000_000_000)), True),
    # "T0-3B" is a name, not a count; "T0, T0p, T0pp" is one label for 11 billion
    "T0-3B: 3 billion, T0, T0p, T0pp: 11 billion": (
        (V("3 billion", 3_000_000_000, "T0-3B"), V("11 billion", 11_000_000_000, "T0, T0p, T0pp")), True),
    "560m, 1.1B, 1.7B, 3B, 7.1B, and 176B": (
        (V("560m", 560_000_000), V("1.1B", 1_100_000_000), V("1.7B", 1_700_000_000),
         V("3B", 3_000_000_000), V("7.1B", 7_100_000_000), V("176B", 176_000_000_000)), True),
    "mini: 125M, base: 1.3B, standard: 6.7B, large: 30B, huge: 120B": (
        (V("125M", 125_000_000, "mini"), V("1.3B", 1_300_000_000, "base"),
         V("6.7B", 6_700_000_000, "standard"), V("30B", 30_000_000_000, "large"),
         V("120B", 120_000_000_000, "huge")), True),
    "6.7B, 13.0B, 32.5B, and 65.2B": (
        (V("6.7B", 6_700_000_000), V("13.0B", 13_000_000_000), V("32.5B", 32_500_000_000),
         V("65.2B", 65_200_000_000)), True),
    "7B, 13B, 34B, 70B": ((V("7B", 7_000_000_000), V("13B", 13_000_000_000),
                           V("34B", 34_000_000_000), V("70B", 70_000_000_000)), True),
    "330M": ((V("330M", 330_000_000),), True),
    "7B, 13B, 33B, 65B": ((V("7B", 7_000_000_000), V("13B", 13_000_000_000),
                           V("33B", 33_000_000_000), V("65B", 65_000_000_000)), True),
    "7B, 13B, 33B": ((V("7B", 7_000_000_000), V("13B", 13_000_000_000),
                      V("33B", 33_000_000_000)), True),
    "30B": ((V("30B", 30_000_000_000),), True),
    "15.5B": ((V("15.5B", 15_500_000_000),), True),
    "7B, 40B": ((V("7B", 7_000_000_000), V("40B", 40_000_000_000)), True),
    "3B, 7B, 13B": ((V("3B", 3_000_000_000), V("7B", 7_000_000_000), V("13B", 13_000_000_000)), True),
    "3B, 7B": ((V("3B", 3_000_000_000), V("7B", 7_000_000_000)), True),
    "1.3B, 6.7B, and 13B": ((V("1.3B", 1_300_000_000), V("6.7B", 6_700_000_000),
                             V("13B", 13_000_000_000)), True),
    "": ((), True),   # the list's contribution template
    # awesome-huge-models `Params` and `Embeddings Params`
    "40B": ((V("40B", 40_000_000_000),), True),
    "13B, 7B, 3B": ((V("13B", 13_000_000_000), V("7B", 7_000_000_000), V("3B", 3_000_000_000)), True),
    "7B, 3B": ((V("7B", 7_000_000_000), V("3B", 3_000_000_000)), True),
    "30B, 7B": ((V("30B", 30_000_000_000), V("7B", 7_000_000_000)), True),
    "13B, 7B": ((V("13B", 13_000_000_000), V("7B", 7_000_000_000)), True),
    "1.7T": ((V("1.7T", 1_700_000_000_000),), True),
    "65B, 33B, 13B, 7B": ((V("65B", 65_000_000_000), V("33B", 33_000_000_000),
                           V("13B", 13_000_000_000), V("7B", 7_000_000_000)), True),
    "14B, 7B, 3B, 1.5B": ((V("14B", 14_000_000_000), V("7B", 7_000_000_000),
                           V("3B", 3_000_000_000), V("1.5B", 1_500_000_000)), True),
    "52B": ((V("52B", 52_000_000_000),), True),
    "176B": ((V("176B", 176_000_000_000),), True),
    "125M, 1.3B, 6.7B, 30B, 120B": ((V("125M", 125_000_000), V("1.3B", 1_300_000_000),
                                     V("6.7B", 6_700_000_000), V("30B", 30_000_000_000),
                                     V("120B", 120_000_000_000)), True),
    "130B": ((V("130B", 130_000_000_000),), True),
    "20B (1T tokens)": ((V("20B", 20_000_000_000),), True),   # 1T counts tokens
    "550B": ((V("550B", 550_000_000_000),), True),
    "2.8B": ((V("2.8B", 2_800_000_000),), True),
    "41B": ((V("41B", 41_000_000_000),), True),
    "296B": ((V("296B", 296_000_000_000),), True),
    "1.2T": ((V("1.2T", 1_200_000_000_000),), True),
    "245B": ((V("245B", 245_000_000_000),), True),
    "11B": ((V("11B", 11_000_000_000),), True),
    "178B": ((V("178B", 178_000_000_000),), True),
    "10B": ((V("10B", 10_000_000_000),), True),
    "198B": ((V("198B", 198_000_000_000),), True),
    "82B": ((V("82B", 82_000_000_000),), True),
    "200B": ((V("200B", 200_000_000_000),), True),
    "2.9B": ((V("2.9B", 2_900_000_000),), True),
    "1.6T": ((V("1.6T", 1_600_000_000_000),), True),
    "2.6B": ((V("2.6B", 2_600_000_000),), True),
    "9.4B": ((V("9.4B", 9_400_000_000),), True),
    "17B": ((V("17B", 17_000_000_000),), True),
    "762M": ((V("762M", 762_000_000),), True),
    "8.3B": ((V("8.3B", 8_300_000_000),), True),
    "3.9B": ((V("3.9B", 3_900_000_000),), True),
    "354M": ((V("354M", 354_000_000),), True),
    "340M": ((V("340M", 340_000_000),), True),
    "1.5B": ((V("1.5B", 1_500_000_000),), True),
    "5B": ((V("5B", 5_000_000_000),), True),
    "6.5B": ((V("6.5B", 6_500_000_000),), True),
    "2.5B": ((V("2.5B", 2_500_000_000),), True),
    "22B": ((V("22B", 22_000_000_000),), True),
    "3B": ((V("3B", 3_000_000_000),), True),
    "890M": ((V("890M", 890_000_000),), True),
    "80B": ((V("80B", 80_000_000_000),), True),
    "174T": ((V("174T", 174_000_000_000_000),), True),
    "870M": ((V("870M", 870_000_000),), True),
    "100B": ((V("100B", 100_000_000_000),), True),
    "1.8B": ((V("1.8B", 1_800_000_000),), True),
    "2.4B": ((V("2.4B", 2_400_000_000),), True),
    "15B": ((V("15B", 15_000_000_000),), True),
    "4B": ((V("4B", 4_000_000_000),), True),
    "10T": ((V("10T", 10_000_000_000_000),), True),
    "632M": ((V("632M", 632_000_000),), True),
    "6.8B": ((V("6.8B", 6_800_000_000),), True),
    "158M": ((V("158M", 158_000_000),), True),
    # PaLM-E: 540B + 22B = 562B are the parts of the one model
    "562B (540B LLM + 22B Vi)": ((V("562B", 562_000_000_000),), True),
    "1.2B": ((V("1.2B", 1_200_000_000),), True),
    "1.55B": ((V("1.55B", 1_550_000_000),), True),
    "1B": ((V("1B", 1_000_000_000),), True),
    "317M": ((V("317M", 317_000_000),), True),
    "21B": ((V("21B", 21_000_000_000),), True),
    "100T": ((V("100T", 100_000_000_000_000),), True),
    "0.1T": ((V("0.1T", 100_000_000_000),), True),
    "0.01T": ((V("0.01T", 10_000_000_000),), True),
}

# edge cases that are not in the lists
PARAMS_EDGE: dict[str, tuple[tuple[Variant, ...], bool]] = {
    "1,000M": ((V("1,000M", 1_000_000_000),), True),             # thousands separator
    "2,500,000k": ((V("2,500,000k", 2_500_000_000),), True),
    "-5B": ((V("-5B", -5_000_000_000),), True),                  # read; SHACL reports < 0
    "12 zillion": ((), False),                                   # digits, no count
    "12X": ((), False),
    "about 5": ((), False),
    "1.5 billion": ((V("1.5 billion", 1_500_000_000),), True),
    "2 Trillion": ((V("2 Trillion", 2_000_000_000_000),), True),
    "7 thousand": ((V("7 thousand", 7_000),), True),
    "18k": ((V("18k", 18_000),), True),
    "18K, 36K": ((V("18K", 18_000), V("36K", 36_000)), True),
    "175000000000": ((V("175000000000", 175_000_000_000),), True),   # a bare whole number
    "0.0000001M": ((V("0.0000001M", 0),), True),                 # 0.1 parameter rounds to 0
    "0.0000005M": ((V("0.0000005M", 1),), True),                 # half up
    "GPT3 and T5": ((), False),
    "Llama-2-7B": ((), False),                                   # a name, not a count
    "13B (13B)": ((V("13B", 13_000_000_000), V("13B", 13_000_000_000)), True),
    "Tiny (5M), Small (5M)": ((V("5M", 5_000_000, "Tiny"), V("5M", 5_000_000, "Small")), True),
    "10B (7B + 2B)": ((V("10B", 10_000_000_000), V("7B", 7_000_000_000), V("2B", 2_000_000_000)), True),
    "Large: 1B, 2B; Small = 3M": ((V("1B", 1_000_000_000, "Large 1B"), V("2B", 2_000_000_000, "Large 2B"),
                                  V("3M", 3_000_000, "Small")), True),
    "5B total": ((V("5B", 5_000_000_000),), True),
    "5B params, 2B active": ((V("5B", 5_000_000_000),), True),
    "400M text-image pairs, 5B": ((V("5B", 5_000_000_000),), True),
    "124M,355M": ((V("124M", 124_000_000), V("355M", 355_000_000)), True),
    "10,5M": ((), False),                                        # no decimal comma
}


def check_params(text: str, variants: tuple[Variant, ...], ok: bool) -> None:
    got = parse_params(text)
    assert got.variants == variants
    assert got.maximum == (max(v.count for v in variants) if variants else None)
    assert got.has_digits == any(ch.isdigit() for ch in text)
    assert got.ok is ok


@pytest.mark.parametrize("text", list(PARAMS))
def test_params_of_the_lists(text):
    check_params(text, *PARAMS[text])


@pytest.mark.parametrize("text", list(PARAMS_EDGE))
def test_params_edge_cases(text):
    check_params(text, *PARAMS_EDGE[text])


def test_params_maximum_and_flags_spelled_out():
    assert parse_params("562B (540B LLM + 22B Vi)") == ParsedParams(
        (Variant("562B", 562_000_000_000, "562B"),), 562_000_000_000, True, True)
    assert parse_params("Same as GPT3") == ParsedParams((), None, True, True)
    assert parse_params("Depends on the overall architecture") == ParsedParams((), None, False, True)
    assert parse_params("12X") == ParsedParams((), None, True, False)
    assert parse_params("-5B").maximum == -5_000_000_000
    assert parse_params("Up to 30x reduction in parameters compared to standard BART") == \
        ParsedParams((), None, True, True)
    assert parse_params("7B, 13B, and 70B").maximum == 70_000_000_000
    assert parse_params("65B, 33B, 13B, 7B").maximum == 65_000_000_000   # not the last one


@needs_sources
def test_params_table_covers_the_sources():
    texts = yaml_values(LLMS, {"number of parameters"}) + \
        yaml_values(HUGE, {"Params", "Embeddings Params"})
    missing = [t for t in texts if t not in PARAMS]
    assert not missing
    assert len(set(texts)) >= 140


@needs_sources
def test_params_agree_with_the_declared_maximum():
    """awesome-llms states the maximum in millions beside the text: the two must agree."""
    text = LLMS.read_text(encoding="utf-8")
    pairs = re.findall(r"number of parameters: (.*)\n\s*maximum number of parameters \(in million\): (.*)\n", text)
    assert len(pairs) > 70
    for params, millions in pairs:
        if millions.strip():
            assert parse_params(params.strip()).maximum == parse_millions(millions), params


# --- dates -------------------------------------------------------------------------------------

DATES = {
    "2023-03-14": ParsedDate("2023-03-14", "date", True),
    "2023-03": ParsedDate("2023-03", "gYearMonth", True),
    "2023": ParsedDate("2023", "gYear", True),
    "Mar. 2023": ParsedDate("2023-03", "gYearMonth", True),
    "March 2023": ParsedDate("2023-03", "gYearMonth", True),
    "Sept. 2021": ParsedDate("2021-09", "gYearMonth", True),
    "Sep 2021": ParsedDate("2021-09", "gYearMonth", True),
    "June 2021": ParsedDate("2021-06", "gYearMonth", True),
    "Jun 2019": ParsedDate("2019-06", "gYearMonth", True),
    "Jun. 2023": ParsedDate("2023-06", "gYearMonth", True),
    "May. 2023": ParsedDate("2023-05", "gYearMonth", True),
    "May 2022": ParsedDate("2022-05", "gYearMonth", True),
    "July 2021": ParsedDate("2021-07", "gYearMonth", True),
    "Oct 2019": ParsedDate("2019-10", "gYearMonth", True),
    "Dec. 2015": ParsedDate("2015-12", "gYearMonth", True),
    "jan. 2022": ParsedDate("2022-01", "gYearMonth", True),
    "2023.06": ParsedDate("2023-06", "gYearMonth", True),
    "2023-3": ParsedDate("2023-03", "gYearMonth", True),
    "2023-3-7": ParsedDate("2023-03-07", "date", True),
    " 2022-02-08 ": ParsedDate("2022-02-08", "date", True),
    "March 14, 2023": ParsedDate("2023-03-14", "date", True),
    "14 March 2023": ParsedDate("2023-03-14", "date", True),
    "2024-02-29": ParsedDate("2024-02-29", "date", True),
    "1900-02-29": ParsedDate("1900-02-29", "date", False),
    "2000-02-29": ParsedDate("2000-02-29", "date", True),
    "2023-02-29": ParsedDate("2023-02-29", "date", False),
    "2023-02-30": ParsedDate("2023-02-30", "date", False),
    "2023-04-31": ParsedDate("2023-04-31", "date", False),
    "2023-13": ParsedDate("2023-13", "date", False),
    "2023-00-10": ParsedDate("2023-00-10", "date", False),
    "Foo. 2023": ParsedDate("Foo. 2023", "date", False),
    "Marchh 2023": ParsedDate("Marchh 2023", "date", False),
    "February 30, 2023": ParsedDate("February 30, 2023", "date", False),
    "soon": ParsedDate("soon", "date", False),
    "": ParsedDate("", "date", False),
    "23": ParsedDate("23", "date", False),
}


@pytest.mark.parametrize("text", list(DATES))
def test_dates(text):
    assert parse_date(text) == DATES[text]


@needs_sources
def test_every_date_of_the_lists_is_read():
    dates = [d for d in yaml_values(LLMS, {"date created"}) if d]
    assert len(dates) > 40
    for d in dates:
        got = parse_date(d)
        assert got == ParsedDate(d, "date", True), d
    # awesome-huge-models dates stand in the model's line: "- **Falcon** [[TII]]() Jun. 2023"
    text = HUGE.read_text(encoding="utf-8")
    heads = re.findall(r"^- \*\*.*?\s((?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\.? \d{4})",
                       text, re.M)
    assert len(heads) > 80
    months = dict(Jan="01", Feb="02", Mar="03", Apr="04", May="05", Jun="06", Jul="07", Aug="08",
                  Sep="09", Oct="10", Nov="11", Dec="12")
    for h in heads:
        year = h[-4:]
        assert parse_date(h) == ParsedDate(f"{year}-{months[h[:3]]}", "gYearMonth", True), h


# --- numbers -----------------------------------------------------------------------------------

MILLIONS = {
    "117": 117_000_000, "1500": 1_500_000_000, "0.35": 350_000, "1,500": 1_500_000_000,
    "175000": 175_000_000_000, "170000000": 170_000_000_000_000, "1200000": 1_200_000_000_000,
    "65200": 65_200_000_000, "60": 60_000_000, "1180": 1_180_000_000, "1630": 1_630_000_000,
    " 8300 ": 8_300_000_000, "0.0000005": 1, "-5": -5_000_000,
    "": None, "N/A": None, "1.5M": None, "12 zillion": None, "1,50": None,
}


@pytest.mark.parametrize("text", list(MILLIONS))
def test_millions(text):
    assert parse_millions(text) == MILLIONS[text]


@needs_sources
def test_every_declared_maximum_is_read():
    for t in yaml_values(LLMS, {"maximum number of parameters (in million)"}):
        if t:
            assert parse_millions(t) == int(t) * 1_000_000


NUMBERS = {   # awesome-huge-models "Training petaFLOPs", and a few more
    "18k": Decimal(18_000), "3.4M": Decimal(3_400_000), "33.9M": Decimal(33_900_000),
    "100k": Decimal(100_000), "430M": Decimal(430_000_000), "290k": Decimal(290_000),
    "1.5M": Decimal(1_500_000), "1.8M": Decimal(1_800_000), "5.5M": Decimal(5_500_000),
    "9.1M": Decimal(9_100_000), "3M": Decimal(3_000_000), "11M": Decimal(11_000_000),
    "13M": Decimal(13_000_000), "16M": Decimal(16_000_000), "27M": Decimal(27_000_000),
    "33M": Decimal(33_000_000), "41M": Decimal(41_000_000), "47M": Decimal(47_000_000),
    "57M": Decimal(57_000_000), "58M": Decimal(58_000_000), "82M": Decimal(82_000_000),
    "110M": Decimal(110_000_000), "310M": Decimal(310_000_000), "360M": Decimal(360_000_000),
    "370M": Decimal(370_000_000), "410M": Decimal(410_000_000), "580M": Decimal(580_000_000),
    "630M": Decimal(630_000_000), "1.4B": Decimal(1_400_000_000), "2.5B": Decimal(2_500_000_000),
    "63B": Decimal(63_000_000_000), "93B": Decimal(93_000_000_000),
    "0.5": Decimal("0.5"), "1.25k": Decimal(1250), "0.0005k": Decimal("0.5"), "2T": Decimal(2 * 10**12),
    "1,000": Decimal(1000), "3 million": Decimal(3_000_000), "-2k": Decimal(-2000),
    "": None, "lots": None, "3.4 M": None, "3.4X": None,
}


@pytest.mark.parametrize("text", list(NUMBERS))
def test_numbers(text):
    got = parse_number(text)
    assert got == NUMBERS[text]
    if got is not None and got == got.to_integral_value():
        assert str(got) == str(int(got))     # no "3400000.0", no "3.4E+6"


@needs_sources
def test_number_table_covers_the_sources():
    assert not [t for t in yaml_values(HUGE, {"Training petaFLOPs"}) if t not in NUMBERS]


INTEGERS = {
    "2048": 2048, "84k": 84_000, "4096": 4096, "512": 512, "84K": 84_000, "1,024": 1024,
    "2.5k": 2500, "2020": 2020, "5": 5, " 12 ": 12,
    "1.5": None, "x": None, "": None, "4k tokens": None, "2048?": None,
}


@pytest.mark.parametrize("text", list(INTEGERS))
def test_integers(text):
    assert parse_integer(text) == INTEGERS[text]


@needs_sources
def test_integer_table_covers_the_sources():
    texts = yaml_values(HUGE, {"Context Length", "Context", "Context-Length"})
    assert texts and not [t for t in texts if t not in INTEGERS]


# --- organizations -------------------------------------------------------------------------------

ORGANIZATIONS = {
    "OpenAI": ("OpenAI",),
    "Google, and CMU": ("Google", "CMU"),
    "Google, CMU": ("Google", "CMU"),
    "Pengcheng Lab, and Baidu": ("Pengcheng Lab", "Baidu"),
    "Facebook, Google, and UC Berkeley": ("Facebook", "Google", "UC Berkeley"),
    "EleutherAI, Stability.ai, and LMU Munich": ("EleutherAI", "Stability.ai", "LMU Munich"),
    "Huggingface, and Big Science": ("Huggingface", "Big Science"),
    "Meta AI, University of Washington, and University of Hong Kong":
        ("Meta AI", "University of Washington", "University of Hong Kong"),
    "Cerebras, Mohamed bin Zayed University of Artificial Intelligence, and Inception":
        ("Cerebras", "Mohamed bin Zayed University of Artificial Intelligence", "Inception"),
    "Large Model Systems Organization": ("Large Model Systems Organization",),
    "BAAI, Alibaba": ("BAAI", "Alibaba"),
    "Microsoft, Nvidia": ("Microsoft", "Nvidia"),
    "Stanford, Berkerley, CMU, etc.": ("Stanford", "Berkerley", "CMU"),
    "Google and CMU": ("Google", "CMU"),
    "Google & CMU": ("Google", "CMU"),
    "Google, Google": ("Google",),
    "": (),
}


@pytest.mark.parametrize("text", list(ORGANIZATIONS))
def test_split_organizations(text):
    assert split_organizations(text) == ORGANIZATIONS[text]


# --- URLs ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("text,expected", [
    ("https://github.com/openai/CLIP", True),
    ("http://example.org", True),
    ("https://huggingface.co/docs/transformers/model_doc/openai-gpt", True),
    ("https://openreview.net/forum?id=UoEw6KigkUn", True),
    ("HTTPS://EXAMPLE.ORG/a?b=1#c", True),
    ("https://example.org:8080/x", True),
    ("https://", False),
    ("github.com/openai/CLIP", False),
    ("ftp://example.org/x", False),
    ("see https://example.org", False),
    ("https://example.org/a b", False),
    ("https://example.org/<x>", False),
    (" https://example.org", False),
    ("other gpt-neo models", False),
    ("", False),
])
def test_is_absolute_http_url(text, expected):
    assert is_absolute_http_url(text) is expected


@pytest.mark.parametrize("text,expected", [
    ("https://github.com/openai/finetune-transformer-lm, https://huggingface.co/docs/transformers/model_doc/openai-gpt",
     ("https://github.com/openai/finetune-transformer-lm",
      "https://huggingface.co/docs/transformers/model_doc/openai-gpt")),
    ("https://github.com/EleutherAI/gpt-neox, other gpt-neo models, https://huggingface.co/EleutherAI/gpt-neox-20b",
     ("https://github.com/EleutherAI/gpt-neox", "other gpt-neo models",
      "https://huggingface.co/EleutherAI/gpt-neox-20b")),
    ("pythia-deduped, pythia, https://github.com/EleutherAI/pythia",
     ("pythia-deduped", "pythia", "https://github.com/EleutherAI/pythia")),
    ("https://a.example https://b.example", ("https://a.example", "https://b.example")),
    ("https://a.example,https://b.example", ("https://a.example", "https://b.example")),
    ("https://a.example/x,y", ("https://a.example/x,y",)),
    ("https://a.example;", ("https://a.example",)),
    ("", ()),
])
def test_split_urls(text, expected):
    assert split_urls(text) == expected


@needs_sources
def test_every_link_of_the_lists_splits_into_urls_or_kept_text():
    texts = [t for t in yaml_values(LLMS, {"has source code", "blog post"}) if t]
    not_urls = set()
    for t in texts:
        items = split_urls(t)
        assert ", ".join(items) == t          # nothing lost, nothing added
        not_urls.update(i for i in items if not is_absolute_http_url(i))
    assert not_urls == {"other gpt-neo models", "pythia-deduped", "pythia"}


# --- the module itself ---------------------------------------------------------------------------

def test_results_are_frozen():
    for obj in (parse_date("2023"), parse_params("7B"), parse_params("7B").variants[0]):
        with pytest.raises(dataclasses.FrozenInstanceError):
            obj.value = 1  # type: ignore[attr-defined]


def test_values_imports_no_rdf_library():
    code = ("import sys, llmkg.records.values; "
            "bad = [m for m in ('rdflib', 'pyoxigraph', 'pyshacl', 'yaml') if m in sys.modules]; "
            "print(bad); sys.exit(1 if bad else 0)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr


def test_slugify_and_paper_id_unchanged():
    assert slugify("DALL·E 2") == "dall-e-2"
    assert slugify("ViT-G/14") == "vit-g-14"
    assert slugify("wav2vec 2.0") == "wav2vec-2-0"
    assert paper_id("Language Models are Few-Shot Learners") == "language-models-are-few-shot-learners"
    assert len(paper_id("A " * 80)) <= 60
