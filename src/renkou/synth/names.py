"""Plausible synthetic personal names (姓名): Han-style and Tibetan.

Han-style names: a surname drawn from a frequency list (approximate shares of the
commonest Chinese surnames), including polyphonic surnames (单 Shàn, 曾 Zēng, 解 Xiè,
仇 Qiú, 区 Ōu, 查 Zhā, 朴 Piáo, 盖 Gě, 乐 Yuè) so that pinyin duplicate matching is
exercised, followed by one or two given-name characters chosen by sex.  Tibetan
names: usually two two-syllable names (扎西次仁, 卓玛央金), no surname.
"""

from __future__ import annotations

import numpy as np

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
    "姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
    "单解仇区查朴盖乐"
)
# rough relative frequencies: the first few surnames are far commoner than the tail
_WEIGHTS = np.r_[np.array([7.1, 7.0, 6.7, 5.4, 4.5, 3.1, 2.2, 2.0, 2.0, 1.7]),
                 np.linspace(1.6, 0.3, len(SURNAMES) - 10 - 9), np.full(9, 0.15)]

MALE_CHARS = "伟刚勇毅俊峰强军平保东文辉力明永健世广志义兴良海山仁波宁贵福生龙元全国胜学祥才发武新利清飞彬富顺信子杰涛昌成康星光天达安岩中茂进林有坚和彪博诚先敬震振壮会思群豪心邦承乐绍功松善厚庆磊民友裕河哲江超浩亮政谦亨奇固之轮翰朗伯宏言若鸣朋斌梁栋维启克伦翔旭鹏泽晨辰士以建家致树炎德行时泰盛雄琛钧冠策腾楠榕风航弘"
FEMALE_CHARS = "秀娟英华慧巧美娜静淑惠珠翠雅芝玉萍红娥玲芬芳燕彩春菊兰凤洁梅琳素云莲真环雪荣爱妹霞香月莺媛艳瑞凡佳嘉琼勤珍贞莉桂娣叶璧璐娅琦晶妍茜秋珊莎锦黛青倩婷姣婉娴瑾颖露瑶怡婵雁蓓纨仪荷丹蓉眉君琴蕊薇菁梦岚苑婕馨瑗琰韵融园艺咏卿聪澜纯毓悦昭冰爽琬茗羽希宁欣飘育滢馥筠柔竹霭凝晓欢霄枫芸菲寒伊亚宜可姬舒影荔枝思丽"
TIBETAN_MALE = ("扎西", "次仁", "多吉", "平措", "顿珠", "旺堆", "格桑", "尼玛", "达瓦", "边巴", "普布", "巴桑",
                "丹增", "洛桑", "索朗", "强巴", "罗布", "米玛", "旦增", "贡布", "土登", "阿旺", "群培", "加措")
TIBETAN_FEMALE = ("卓玛", "央金", "拉姆", "德吉", "曲珍", "次仁", "格桑", "白玛", "尼玛", "达瓦", "边巴", "普布",
                  "巴桑", "央宗", "措姆", "旺姆", "卓嘎", "桑姆", "仓决", "玉珍", "益西", "琼达", "索朗", "德央")
# homophones or near-homophones used to make name variants of one person
VARIANTS = {"明": "铭", "华": "桦", "丽": "莉", "伟": "玮", "静": "婧", "军": "君", "峰": "锋", "英": "瑛",
            "芳": "方", "玲": "琳", "红": "宏", "平": "萍", "云": "芸", "杰": "洁", "刚": "钢", "燕": "艳",
            "玛": "马", "吉": "几", "珍": "真", "金": "今", "西": "希", "仁": "任", "姆": "母", "拉": "啦"}


def _pick(chars: str | tuple[str, ...], n: int, rng: np.random.Generator) -> np.ndarray:
    arr = np.array(list(chars), dtype=object)
    return arr[rng.integers(0, len(arr), n)]


def surnames(n: int, rng: np.random.Generator) -> np.ndarray:
    """n surnames drawn by frequency."""
    w = _WEIGHTS / _WEIGHTS.sum()
    return np.array(list(SURNAMES), dtype=object)[rng.choice(len(SURNAMES), size=n, p=w)]


def given_names(sex: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One- or two-character given names by sex (1 male, 2 female); two characters in 70 %."""
    n = len(sex)
    male = sex == 1
    first = np.where(male, _pick(MALE_CHARS, n, rng), _pick(FEMALE_CHARS, n, rng))
    second = np.where(male, _pick(MALE_CHARS, n, rng), _pick(FEMALE_CHARS, n, rng))
    two = rng.random(n) < 0.7
    return np.where(two, first + second, first)


def tibetan_names(sex: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Tibetan names: two two-syllable names in 85 % of cases, else one."""
    n = len(sex)
    male = sex == 1
    a = np.where(male, _pick(TIBETAN_MALE, n, rng), _pick(TIBETAN_FEMALE, n, rng))
    b = np.where(male, _pick(TIBETAN_MALE, n, rng), _pick(TIBETAN_FEMALE, n, rng))
    b = np.where(a == b, "", b)
    return np.where(rng.random(n) < 0.85, a + b, a)


def name_variant(name: str, rng: np.random.Generator) -> str:
    """The same name as another clerk might write it: a homophone for one character, else one dropped."""
    pos = [i for i, ch in enumerate(name) if ch in VARIANTS]
    if pos:
        i = pos[int(rng.integers(0, len(pos)))]
        return name[:i] + VARIANTS[name[i]] + name[i + 1:]
    return name[:-1] if len(name) > 2 else name + name[-1]
