from renkou.core.codes import ETHNICITY, MARITAL, label


def test_gb3304_has_the_56_groups_in_order_and_the_two_extra_codes():
    groups = [c for c in ETHNICITY if int(c) <= 56]
    assert groups == [f"{i:02d}" for i in range(1, 57)]
    assert ETHNICITY["04"] == ("藏族", "Tibetan") and ETHNICITY["56"][0] == "基诺族"
    assert set(ETHNICITY) - set(groups) == {"97", "98"}


def test_label_by_language_and_unknown_codes_pass_through():
    assert label(ETHNICITY, "09", "zh-hans") == "布依族"
    assert label(ETHNICITY, "09", "en") == "Buyei"
    assert label(MARITAL, 21, "zh") == "初婚"
    assert label(ETHNICITY, "77") == "77"
