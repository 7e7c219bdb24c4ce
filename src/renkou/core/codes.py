"""National code tables used on screens and in files (pure data, no Django).

GB 3304-1991 民族 (ethnicity, 56 groups + 97/98), GB/T 2261.1 性别 (sex), GB/T 2261.2 婚姻状况
(marital status). Each entry is (Chinese name, English name).
"""

from __future__ import annotations

ETHNICITY: dict[str, tuple[str, str]] = {
    "01": ("汉族", "Han"), "02": ("蒙古族", "Mongol"), "03": ("回族", "Hui"), "04": ("藏族", "Tibetan"),
    "05": ("维吾尔族", "Uyghur"), "06": ("苗族", "Miao"), "07": ("彝族", "Yi"), "08": ("壮族", "Zhuang"),
    "09": ("布依族", "Buyei"), "10": ("朝鲜族", "Korean"), "11": ("满族", "Manchu"), "12": ("侗族", "Dong"),
    "13": ("瑶族", "Yao"), "14": ("白族", "Bai"), "15": ("土家族", "Tujia"), "16": ("哈尼族", "Hani"),
    "17": ("哈萨克族", "Kazakh"), "18": ("傣族", "Dai"), "19": ("黎族", "Li"), "20": ("傈僳族", "Lisu"),
    "21": ("佤族", "Va"), "22": ("畲族", "She"), "23": ("高山族", "Gaoshan"), "24": ("拉祜族", "Lahu"),
    "25": ("水族", "Sui"), "26": ("东乡族", "Dongxiang"), "27": ("纳西族", "Naxi"), "28": ("景颇族", "Jingpo"),
    "29": ("柯尔克孜族", "Kyrgyz"), "30": ("土族", "Tu"), "31": ("达斡尔族", "Daur"), "32": ("仫佬族", "Mulao"),
    "33": ("羌族", "Qiang"), "34": ("布朗族", "Blang"), "35": ("撒拉族", "Salar"), "36": ("毛南族", "Maonan"),
    "37": ("仡佬族", "Gelao"), "38": ("锡伯族", "Xibe"), "39": ("阿昌族", "Achang"), "40": ("普米族", "Pumi"),
    "41": ("塔吉克族", "Tajik"), "42": ("怒族", "Nu"), "43": ("乌孜别克族", "Uzbek"), "44": ("俄罗斯族", "Russian"),
    "45": ("鄂温克族", "Evenki"), "46": ("德昂族", "De'ang"), "47": ("保安族", "Bonan"), "48": ("裕固族", "Yugur"),
    "49": ("京族", "Gin"), "50": ("塔塔尔族", "Tatar"), "51": ("独龙族", "Derung"), "52": ("鄂伦春族", "Oroqen"),
    "53": ("赫哲族", "Hezhen"), "54": ("门巴族", "Monba"), "55": ("珞巴族", "Lhoba"), "56": ("基诺族", "Jino"),
    "97": ("其他未识别民族", "other, not identified"), "98": ("外国血统中国籍人士", "Chinese citizen of foreign origin"),
}

SEX: dict[str, tuple[str, str]] = {
    "0": ("未知的性别", "unknown"), "1": ("男", "male"), "2": ("女", "female"), "9": ("未说明的性别", "not stated"),
}

MARITAL: dict[str, tuple[str, str]] = {
    "10": ("未婚", "never married"), "20": ("已婚", "married"), "21": ("初婚", "first marriage"),
    "22": ("再婚", "remarried"), "23": ("复婚", "remarried to former spouse"), "30": ("丧偶", "widowed"),
    "40": ("离婚", "divorced"), "90": ("未说明的婚姻状况", "not stated"),
}


def label(table: dict[str, tuple[str, str]], code: object, lang: str = "zh") -> str:
    """Name of ``code`` in ``table`` in the language (``zh…`` or other), or the code itself if unknown."""
    key = str(code if code is not None else "")
    if key not in table:
        return key
    zh, en = table[key]
    return zh if lang.startswith("zh") else en
