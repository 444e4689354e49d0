#!/usr/bin/env python3
"""Labelled data of bench/match: list entries and probes, written as CSV.

entries.csv: id, list_code, name, code
probes.csv:  id, name, code, true_entry (empty: no entry), kind
  kind: 'code' (a true match carrying a valid identifier), 'name' (a true
  match carrying only a dirty name), 'none' (no entry).
Deterministic for a given seed.  Usage: match_gen.py DIR ENTRIES PROBES KEY [SEED]
"""
import csv
import hashlib
import hmac
import os
import random
import sys

ALPHA31 = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_W = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
ORG_W = [3, 7, 9, 10, 5, 8, 4, 2]
ID_W = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
ID_CHECK = "10X98765432"

# Simplified characters of the name pools with their Traditional forms.
S2T = dict(zip(
    "华达机电纺织贸东兴发实业广国龙进汇丰银辉顺联创远宝运输饰装设计术环节产农药钢铁"
    "门窗灯鸿伟荣锦绣丽乐爱亿万阳长桥图书软网络通讯车销售务际开调质",
    "華達機電紡織貿東興發實業廣國龍進匯豐銀輝順聯創遠寶運輸飾裝設計術環節產農藥鋼鐵"
    "門窗燈鴻偉榮錦繡麗樂愛億萬陽長橋圖書軟網絡通訊車銷售務際開調質"))
CORE_CHARS = ("华达宏远鑫盛泰丰恒通利源金鼎兴隆新创伟业荣昌瑞祥永安天成中汇嘉和华宇顺联"
              "东方明光博凯德辉锦绣亿万阳长宝龙鸿福康富强立信诚信佳美海峰晨星云志科巨腾"
              "振邦正大润泽翔宁远航天润同心众益广源")
INDUSTRY = ["机械", "电子", "纺织", "科技", "建材", "贸易", "服装", "化工", "物流", "食品",
            "建筑", "装饰", "五金", "塑料", "印刷", "包装", "钢铁", "环保", "农业", "软件",
            "网络", "电器", "家具", "汽车销售", "门窗", "灯具", "设计", "工程", "运输", "药业"]
REGIONS = ["江阴市", "宜兴市", "无锡市", "苏州市", "常州市", "南京市", "张家港市", "昆山市",
           "常熟市", "太仓市", "南通市", "扬州市", "镇江市", "泰州市", "盐城市", "徐州市",
           "淮安市", "连云港市", "宿迁市", "溧阳市", "丹阳市", "靖江市", "海门市", "启东市"]
DIVISIONS = ["320281", "320282", "320211", "320505", "320402", "320102", "320582", "320583",
             "320581", "320585", "320602", "321002", "321102", "321202", "320902", "320302"]
FORMS = [("有限公司", 60), ("股份有限公司", 10), ("厂", 6), ("商行", 5), ("经营部", 4),
         ("集团有限公司", 5), ("合伙企业(普通合伙)", 5), ("有限公司江阴分公司", 5)]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超霞平刚桂兰华飞玉红建国志文斌辉婷鹏宇浩凯"

LISTS = [("serious_dishonesty", 25), ("dishonest_debtor", 30), ("abnormal_operation", 25),
         ("key_attention", 8), ("red_tax_a", 8), ("red_honour", 4)]

FULLWIDTH = {chr(c): chr(c + 0xFEE0) for c in range(0x21, 0x7F)}
FULLWIDTH[" "] = "\u3000"


def weighted(rng, pairs):
    total = sum(w for _, w in pairs)
    r = rng.uniform(0, total)
    for v, w in pairs:
        r -= w
        if r <= 0:
            return v
    return pairs[-1][0]


def org_check(body):
    s = sum((int(c) if c.isdigit() else ord(c) - 55) * w for c, w in zip(body, ORG_W))
    c = 11 - s % 11
    return "X" if c == 10 else "0" if c == 11 else str(c)


def uscc(div, org9):
    c17 = "91" + div + org9
    s = sum(ALPHA31.index(c) * w for c, w in zip(c17, USCC_W))
    return c17 + ALPHA31[(31 - s % 31) % 31]


def resident(rng, div):
    y, m, d = rng.randint(1930, 1999), rng.randint(1, 12), rng.randint(1, 28)
    seq = rng.randint(0, 999)
    d17 = "%s%04d%02d%02d%03d" % (div, y, m, d, seq)
    s = sum(int(c) * w for c, w in zip(d17, ID_W))
    return d17 + ID_CHECK[s % 11]


def dirty_code(rng, code):
    """A valid code written the way departments send it."""
    r = rng.random()
    if r < 0.25:
        code = code.lower()
    elif r < 0.45:
        code = "".join(FULLWIDTH.get(c, c) for c in code)
    elif r < 0.6:
        code = " " + code + " "
    return code


class Gen:
    def __init__(self, seed, key):
        self.rng = random.Random(seed)
        self.key = key.encode()
        self.used_names = set()
        self.used_orgs = set()
        self.used_ids = set()

    def org_body(self):
        rng = self.rng
        while True:
            body = "".join(rng.choice(ALPHA31[:10] if i < 2 else ALPHA31) for i in range(8))
            org9 = body + org_check(body)
            if org9 not in self.used_orgs:
                self.used_orgs.add(org9)
                return org9

    def org_entity(self, region=None, core=None, industry=None):
        """(name, uscc, org9, parts) with a name no other entity has."""
        rng = self.rng
        while True:
            reg = region or rng.choice(REGIONS)
            cor = core or "".join(rng.choice(CORE_CHARS) for _ in range(rng.choice([2, 2, 3, 4])))
            ind = industry or rng.choice(INDUSTRY)
            form = weighted(rng, FORMS)
            name = reg + cor + ind + form
            # a trade name is unique in its region and industry, whatever the legal form
            if (reg, cor, ind) not in self.used_names:
                self.used_names.add((reg, cor, ind))
                break
            region = core = industry = None
        org9 = self.org_body()
        return name, uscc(rng.choice(DIVISIONS), org9), org9, (reg, cor, ind, form)

    def person(self):
        rng = self.rng
        while True:
            pid = resident(rng, rng.choice(DIVISIONS))
            if pid not in self.used_ids:
                self.used_ids.add(pid)
                break
        name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice([1, 2])))
        return name, pid

    def pseudonym(self, canon):
        return hmac.new(self.key, canon.encode(), hashlib.sha256).hexdigest()

    def dirty_name(self, parts, allow_region=True):
        """A true match's name: one or two of the usual kinds of dirt."""
        rng = self.rng
        reg, cor, ind, form = parts
        kinds = rng.sample(["trad", "full", "space", "suffix", "region", "province"], rng.choice([1, 2]))
        if not allow_region:
            kinds = [k for k in kinds if k not in ("region", "province")] or ["trad"]
        if "region" in kinds:
            reg = rng.choice(["", reg[:-1]])          # dropped, or written without 市
        if "province" in kinds:
            reg = "江苏省" + reg
        if "suffix" in kinds:
            form = form.replace("有限公司", "有限责任公司") if "有限公司" in form else form
        form = form.replace("(", "（").replace(")", "）") if rng.random() < 0.5 else form
        name = reg + cor + ind + form
        if "trad" in kinds:
            name = "".join(S2T.get(c, c) for c in name)
        if "space" in kinds:
            cut = sorted(rng.sample(range(1, len(name)), min(2, len(name) - 1)))
            name = name[:cut[0]] + " " + name[cut[0]:cut[1]] + "  " + name[cut[1]:]
        if "full" in kinds:
            name = "".join(FULLWIDTH.get(c, c) for c in name) + "\u3000"
        return name


def main():
    out, n_entries, n_probes, key = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    seed = int(sys.argv[5]) if len(sys.argv) > 5 else 20261126
    g = Gen(seed, key)
    rng = g.rng
    entries = []   # (id, list, name, code, info)
    for i in range(1, n_entries + 1):
        lst = weighted(rng, LISTS)
        if rng.random() < 0.2:
            name, pid = g.person()
            r = rng.random()
            code = (dirty_code(rng, pid) if r < 0.55 else
                    pid[:6] + pid[8:17] if r < 0.85 else g.pseudonym(pid))
            entries.append((i, lst, name, code, ("person", name, pid)))
        else:
            name, code18, org9, parts = g.org_entity()
            r = rng.random()
            code = (dirty_code(rng, code18) if r < 0.6 else
                    (org9[:8] + "-" + org9[8] if rng.random() < 0.5 else org9) if r < 0.8 else "")
            entries.append((i, lst, name if rng.random() < 0.9 else g.dirty_name(parts, False),
                            code, ("org", parts, code18, org9)))

    probes = []
    n_true = n_probes // 10
    for k in range(n_true):
        e = entries[k % n_entries]
        info = e[4]
        if info[0] == "person":
            pid = info[2]
            code = pid[:6] + pid[8:17] if rng.random() < 0.3 else dirty_code(rng, pid)
            name = "".join(S2T.get(c, c) for c in info[1]) if rng.random() < 0.3 else info[1]
            probes.append([name, code, e[0], "code"])
        else:
            parts, code18, org9 = info[1], info[2], info[3]
            r = rng.random()
            name = g.dirty_name(parts)
            if r < 0.45:
                probes.append([name, dirty_code(rng, code18), e[0], "code"])
            elif r < 0.65:
                probes.append([name, org9 if rng.random() < 0.5 else org9[:8] + "-" + org9[8], e[0], "code"])
            else:
                probes.append([name, "", e[0], "name"])
    entry_orgs = [e for e in entries if e[4][0] == "org"]
    for k in range(n_probes - n_true):
        r = rng.random()
        if r < 0.15:
            name, pid = g.person()
            probes.append([name, dirty_code(rng, pid), "", "none"])
            continue
        if r < 0.25:
            # hard negative: an entry's trade name and industry in another region
            reg, cor, ind, form = rng.choice(entry_orgs)[4][1]
            name, code18, org9, _ = g.org_entity(rng.choice([x for x in REGIONS if x != reg]), cor, ind)
        else:
            name, code18, org9, _ = g.org_entity()
        probes.append([name, dirty_code(rng, code18) if rng.random() < 0.5 else "", "", "none"])
    rng.shuffle(probes)

    with open(os.path.join(out, "entries.csv"), "w", newline="") as f:
        w = csv.writer(f)
        for e in entries:
            w.writerow(e[:4])
    with open(os.path.join(out, "probes.csv"), "w", newline="") as f:
        w = csv.writer(f)
        for i, p in enumerate(probes, 1):
            w.writerow([i] + p)


if __name__ == "__main__":
    main()
