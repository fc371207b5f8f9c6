"""Synthetic people and organisations for the demo registries.

Everything comes from one seeded ``random.Random`` and a fixed reference date,
so every run — today or next year, on any machine — builds exactly the same
records, and ``load_demo`` can compare them with what is already stored.

No real person is described: names are drawn from common surnames and given-name
characters, numbers are made with the real check-digit rules so every validator
accepts them. A few names carry rare characters (𠮷 and 𡒄 outside the Basic
Multilingual Plane, 䶮 in CJK Extension A) so the pages and the PDFs are seen to
keep them whole.
"""

from __future__ import annotations

import datetime as dt
import random
import re
from dataclasses import dataclass, field
from typing import Any

from departments.identifiers import USCC_CHARSET, make_resident_id, make_uscc

SEED = 20261122
# Ages, contribution months and "paid through" are counted from this day, not
# from today, so the data does not drift from one run to the next.
REFERENCE_DATE = dt.date(2026, 11, 1)

PERSON_COUNT = 1000
ORGANISATION_COUNT = 200
WORKING_AGE = range(18, 61)

POPULATION = "POPULATION"
LEGAL_PERSON = "LEGAL_PERSON"
SOCIAL_INSURANCE = "SOCIAL_INSURANCE"
TAX = "TAX"
REAL_ESTATE = "REAL_ESTATE"
# The registries the car-quota round reads besides the ones above (lottery/demo.py).
DRIVING_LICENCE = "DRIVING_LICENCE"
VEHICLE = "VEHICLE"
INCOME_TAX = "INCOME_TAX"
ORG_CODE = "ORG_CODE"
TAX_REGISTRATION = "TAX_REGISTRATION"
REGISTRY_CODES = (
    POPULATION,
    LEGAL_PERSON,
    SOCIAL_INSURANCE,
    TAX,
    REAL_ESTATE,
    DRIVING_LICENCE,
    VEHICLE,
    INCOME_TAX,
    ORG_CODE,
    TAX_REGISTRATION,
)
# The car-quota records come from a generator of their own, so adding them left every
# record made before them exactly as it was.
QUOTA_SEED = 20261202

# Chengdu's central and suburban districts: (region code, name, streets).
CHENGDU_DISTRICTS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("510104", "锦江区", ("春熙路", "红星路二段", "东大街", "水井街", "莲桂南路", "静居寺路")),
    ("510105", "青羊区", ("人民中路一段", "青华路", "光华大道", "宽巷子", "西御街", "金阳路")),
    ("510106", "金牛区", ("一环路北三段", "茶店子东街", "蜀汉路", "营门口路", "沙湾路", "金府路")),
    (
        "510107",
        "武侯区",
        ("人民南路四段", "科华北路", "玉林北路", "武侯祠大街", "桐梓林北路", "佳灵路"),
    ),
    ("510108", "成华区", ("建设路", "府青路二段", "双桥路", "猛追湾街", "二仙桥东路", "驷马桥路")),
    ("510112", "龙泉驿区", ("驿都大道", "龙泉街道北京路", "十陵街道成洛大道", "大面街道洪河大道")),
    ("510113", "青白江区", ("凤凰大道", "大弯南路", "华金大道一段")),
    ("510114", "新都区", ("新都大道", "桂湖中路", "大丰街道蓉都大道")),
    ("510115", "温江区", ("光华大道三段", "柳城街道凤溪大道", "德通桥路")),
    ("510116", "双流区", ("东升街道棠湖中路", "航空港街道双楠大道", "华阳街道正北上街")),
    ("510117", "郫都区", ("望丛中路", "犀浦街道国宁东路", "红光街道港通北二路")),
    ("510118", "新津区", ("五津街道兴园大道", "花源街道白云大道")),
)

# Where people who live in Chengdu were first registered: elsewhere in Sichuan,
# then the flow population from other provinces.
SICHUAN_REGIONS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("510703", "四川省绵阳市涪城区", ("临园路", "剑南路")),
    ("510603", "四川省德阳市旌阳区", ("长江西路", "泰山南路")),
    ("511302", "四川省南充市顺庆区", ("人民南路", "模范街")),
    ("511102", "四川省乐山市市中区", ("嘉定北路", "凤凰路")),
    ("511502", "四川省宜宾市翠屏区", ("人民路", "南岸东区")),
    ("511702", "四川省达州市通川区", ("朝阳中路", "凤凰大道")),
    ("513401", "四川省凉山彝族自治州西昌市", ("航天大道", "长安路")),
    ("513201", "四川省阿坝藏族羌族自治州马尔康市", ("达萨街", "马江街")),
)
OTHER_PROVINCE_REGIONS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("500101", "重庆市万州区", ("太白路", "北山大道")),
    ("500103", "重庆市渝中区", ("解放碑民族路", "中山三路")),
    ("530102", "云南省昆明市五华区", ("东风西路", "青年路")),
    ("520102", "贵州省贵阳市南明区", ("中华南路", "花果园大街")),
    ("610113", "陕西省西安市雁塔区", ("小寨东路", "长安南路")),
    ("420106", "湖北省武汉市武昌区", ("中南路", "武珞路")),
    ("430104", "湖南省长沙市岳麓区", ("麓山南路", "枫林一路")),
    ("410105", "河南省郑州市金水区", ("花园路", "经三路")),
    ("110101", "北京市东城区", ("东四北大街", "和平里中街")),
    ("440106", "广东省广州市天河区", ("天河路", "体育西路")),
    ("330106", "浙江省杭州市西湖区", ("文三路", "天目山路")),
    ("620102", "甘肃省兰州市城关区", ("庆阳路", "东岗西路")),
)

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘"
    "于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江"
    "尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
SURNAME_WEIGHTS = [max(1, 30 - index // 3) for index in range(len(SURNAMES))]
# Given names: (first characters, last characters); a one-character given name uses the last pool.
GIVEN_MALE = (
    "子浩宇俊明志建国德永家文新天晓嘉思一海金承鸿",
    "伟强磊军洋勇杰涛超刚平辉鹏华飞鑫波凯健帆旭宁龙林斌博轩睿哲翔川",
)
GIVEN_FEMALE = (
    "思嘉佳晓雨春玉诗梦欣雅静丽美秀子紫若",
    "芳娜敏静丽艳娟霞英玲兰梅琳雪婷倩颖慧怡悦雯晴瑶琪萱涵蓉",
)

# (position in the list, name, gender): rare characters the system must keep whole.
RARE_NAMES: tuple[tuple[int, str, str], ...] = (
    (7, "𠮷永康", "男"),  # 𠮷 U+20BB7 as the surname
    (77, "𠮷秀英", "女"),
    (177, "王𠮷", "男"),  # 𠮷 in the given name
    (277, "刘䶮", "男"),  # 䶮 U+4DAE
    (377, "张𡒄", "男"),  # 𡒄 U+21484
    (477, "陈𡒄华", "女"),
    (577, "李䶮龙", "男"),
)

ETHNICITIES = ("藏族", "彝族", "羌族", "回族", "土家族", "苗族", "满族", "蒙古族")
MOBILE_PREFIXES = (
    "130", "131", "132", "133", "134", "135", "136", "137", "138", "139", "150", "151",
    "152", "153", "155", "156", "157", "158", "159", "166", "173", "177", "180", "181",
    "182", "183", "184", "185", "186", "187", "188", "189", "191", "198", "199",
)  # fmt: skip

TRADE_NAMES = (
    "蓉城", "锦华", "天府", "蜀香", "川味", "金沙", "芙蓉", "宽窄", "熊猫", "青城", "峨眉", "岷江",
    "巴蜀", "锦程", "瑞丰", "鑫源", "恒信", "德润", "盛世", "嘉禾", "汇通", "华西", "西岭", "龙泉",
    "望江", "浣花", "少城", "玉垒", "春熙", "蓉欣", "锦官", "都江", "银杏", "杜鹃", "川西", "九眼",
)  # fmt: skip
TRADE_SUFFIXES = (
    "轩", "源", "达", "诚", "泰", "邦", "丰", "和", "禾", "通", "信", "创", "途", "汇", "宏", "瑞", "辰", "美",
)  # fmt: skip
INDUSTRIES: tuple[tuple[str, str], ...] = (
    ("餐饮管理", "餐饮服务；餐饮管理；食品销售（仅销售预包装食品）；外卖递送服务"),
    ("火锅餐饮", "餐饮服务；食品经营；酒类经营"),
    ("科技", "软件开发；信息技术咨询服务；信息系统集成服务；技术服务、技术开发、技术转让"),
    ("商贸", "日用百货销售；五金产品零售；服装服饰零售；针纺织品销售"),
    ("建筑工程", "建设工程施工；建筑劳务分包；住宅室内装饰装修；园林绿化工程施工"),
    ("物业管理", "物业管理；停车场服务；家政服务；城市绿化管理"),
    ("文化传媒", "组织文化艺术交流活动；广告设计、代理；会议及展览服务"),
    ("大药房", "药品零售；医疗器械经营；保健食品销售"),
    ("教育咨询", "教育咨询服务（不含涉许可审批的教育培训活动）；组织文化艺术交流活动"),
    ("物流", "道路货物运输（不含危险货物）；普通货物仓储服务；国内货物运输代理"),
    ("农业开发", "蔬菜种植；水果种植；农产品的生产、销售、加工、运输、贮藏"),
    ("茶文化传播", "茶具销售；餐饮服务；棋牌室服务；组织文化艺术交流活动"),
)
COMPANY_FORMS = ("有限公司", "有限公司", "有限公司", "有限责任公司")
REGISTERED_CAPITALS = (
    "10.00",
    "30.00",
    "50.00",
    "100.00",
    "200.00",
    "500.00",
    "1000.00",
    "3000.00",
)
CREDIT_RATINGS = ("A", "B", "M", "C", "D")
CREDIT_RATING_WEIGHTS = (30, 40, 20, 7, 3)


@dataclass
class Person:
    resident_id: str
    name: str
    gender: str
    birth_date: dt.date
    ethnicity: str
    address: str
    phone: str
    household_address: str
    marital_status: str
    children: int
    spouse_id: str = ""
    spouse_name: str = ""
    # 户籍状态 (正常, 迁出, 注销) and the city of the household registration.
    status: str = "正常"
    hukou_city: str = ""

    @property
    def age(self) -> int:
        return age_on(self.birth_date, REFERENCE_DATE)

    def population_data(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "gender": self.gender,
            "birth_date": self.birth_date.isoformat(),
            "ethnicity": self.ethnicity,
            "address": self.address,
            "phone": self.phone,
            "household_address": self.household_address,
            "marital_status": self.marital_status,
            "spouse_id": self.spouse_id,
            "spouse_name": self.spouse_name,
            "children": self.children,
            "status": self.status,
            "hukou_city": self.hukou_city,
        }


@dataclass
class Organisation:
    credit_code: str
    name: str
    legal_representative: str
    legal_representative_id: str
    registered_address: str
    phone: str
    established_on: dt.date
    business_scope: str
    status: str
    registered_capital: str

    def legal_person_data(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "legal_representative": self.legal_representative,
            "legal_representative_id": self.legal_representative_id,
            "registered_address": self.registered_address,
            "phone": self.phone,
            "established_on": self.established_on.isoformat(),
            "business_scope": self.business_scope,
            "status": self.status,
            "registered_capital": self.registered_capital,
        }


@dataclass
class DemoPopulation:
    persons: list[Person]
    organisations: list[Organisation]
    # registry code → subject id → the record's data, in a stable order.
    records: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)


def age_on(birth_date: dt.date, day: dt.date) -> int:
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


def build_demo_population(
    *, person_count: int = PERSON_COUNT, organisation_count: int = ORGANISATION_COUNT
) -> DemoPopulation:
    """The same persons, organisations and registry records on every call."""
    rng = random.Random(SEED)
    quota_rng = random.Random(QUOTA_SEED)
    persons = _make_persons(rng, person_count)
    organisations = _make_organisations(rng, organisation_count, persons)
    _household_status(quota_rng, persons)
    population = DemoPopulation(persons=persons, organisations=organisations)
    population.records = _make_records(rng, persons, organisations)
    _make_quota_records(quota_rng, persons, organisations, population.records)
    return population


# --- people -----------------------------------------------------------------


def _make_persons(rng: random.Random, count: int) -> list[Person]:
    rare = {position: (name, gender) for position, name, gender in RARE_NAMES}
    used_ids: set[str] = set()
    used_phones: set[str] = set()
    persons = []
    for position in range(count):
        name, gender = rare.get(position, ("", rng.choice("男女")))
        if not name:
            name = _person_name(rng, gender)
        region, household_address = _birth_region(rng)
        birth_date = _random_date(rng, dt.date(1950, 1, 1), dt.date(2006, 12, 31))
        resident_id = _resident_id(rng, region, birth_date, gender, used_ids)
        address = _chengdu_address(rng)
        if region.startswith("5101") and rng.random() < 0.6:
            household_address = address  # most natives live where they are registered
        age = age_on(birth_date, REFERENCE_DATE)
        marital_status = _marital_status(rng, age)
        persons.append(
            Person(
                resident_id=resident_id,
                name=name,
                gender=gender,
                birth_date=birth_date,
                ethnicity="汉族" if rng.random() < 0.93 else rng.choice(ETHNICITIES),
                address=address,
                phone=_mobile_phone(rng, used_phones),
                household_address=household_address,
                marital_status=marital_status,
                children=_children(rng, age, marital_status),
            )
        )
    _pair_spouses(rng, persons)
    return persons


def _person_name(rng: random.Random, gender: str) -> str:
    surname = rng.choices(SURNAMES, weights=SURNAME_WEIGHTS)[0]
    first_characters, last_characters = GIVEN_MALE if gender == "男" else GIVEN_FEMALE
    if rng.random() < 0.25:
        return surname + rng.choice(last_characters)
    first = rng.choice(first_characters)
    last = rng.choice(last_characters.replace(first, ""))
    return surname + first + last


def _birth_region(rng: random.Random) -> tuple[str, str]:
    """A region code for the ID number, and the household address that goes with it."""
    draw = rng.random()
    if draw < 0.75:
        code, district, streets = rng.choice(CHENGDU_DISTRICTS)
        return code, _street_address(rng, f"四川省成都市{district}", streets)
    regions = SICHUAN_REGIONS if draw < 0.87 else OTHER_PROVINCE_REGIONS
    code, place, streets = rng.choice(regions)
    return code, _street_address(rng, place, streets)


def _street_address(rng: random.Random, place: str, streets: tuple[str, ...]) -> str:
    return f"{place}{rng.choice(streets)}{rng.randint(1, 399)}号"


def _chengdu_address(rng: random.Random) -> str:
    _, district, streets = rng.choice(CHENGDU_DISTRICTS)
    return (
        f"四川省成都市{district}{rng.choice(streets)}{rng.randint(1, 399)}号"
        f"{rng.randint(1, 12)}栋{rng.randint(1, 4)}单元{rng.randint(1, 32)}{rng.randint(1, 6):02d}号"
    )


def _resident_id(
    rng: random.Random, region: str, birth_date: dt.date, gender: str, used: set[str]
) -> str:
    while True:
        # GB 11643: the sequence is odd for men and even for women.
        sequence = rng.randrange(1 if gender == "男" else 2, 1000, 2)
        resident_id = make_resident_id(region=region, birth_date=birth_date, sequence=sequence)
        if resident_id not in used:
            used.add(resident_id)
            return resident_id


def _mobile_phone(rng: random.Random, used: set[str]) -> str:
    while True:
        phone = rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(100_000_000):08d}"
        if phone not in used:
            used.add(phone)
            return phone


def _marital_status(rng: random.Random, age: int) -> str:
    if age < 22:
        return "未婚"
    draw = rng.random()
    if age < 30:
        return "已婚" if draw < 0.5 else "未婚"
    if age >= 70 and draw < 0.25:
        return "丧偶"
    if draw < 0.08:
        return "离异"
    if draw < 0.14:
        return "未婚"
    return "已婚"


def _children(rng: random.Random, age: int, marital_status: str) -> int:
    if marital_status == "未婚" or age < 23:
        return 0
    return rng.choices((0, 1, 2, 3), weights=(15, 50, 28, 7))[0]


def _pair_spouses(rng: random.Random, persons: list[Person]) -> None:
    """Married men and women become couples of close age; couples share home and children.

    Whoever is left without a partner of a plausible age is recorded as divorced,
    so every ``已婚`` record points at a spouse who points back.
    """
    men = sorted(
        (p for p in persons if p.marital_status == "已婚" and p.gender == "男"),
        key=lambda p: p.birth_date,
    )
    women = sorted(
        (p for p in persons if p.marital_status == "已婚" and p.gender == "女"),
        key=lambda p: p.birth_date,
    )
    unmatched_women = list(women)
    for husband in men:
        partner = next(
            (
                wife
                for wife in unmatched_women
                if abs((wife.birth_date - husband.birth_date).days) <= 8 * 365
            ),
            None,
        )
        if partner is None:
            husband.marital_status = "离异"
            continue
        unmatched_women.remove(partner)
        husband.spouse_id, husband.spouse_name = partner.resident_id, partner.name
        partner.spouse_id, partner.spouse_name = husband.resident_id, husband.name
        partner.address = husband.address
        if rng.random() < 0.7:
            partner.household_address = husband.household_address
        partner.children = husband.children
    for wife in unmatched_women:
        wife.marital_status = "离异"


# --- organisations ----------------------------------------------------------


def _make_organisations(
    rng: random.Random, count: int, persons: list[Person]
) -> list[Organisation]:
    adults = [person for person in persons if person.age >= 25]
    # The first company is led by a person with a rare character in the name.
    rare_led = next((person for person in adults if "𠮷" in person.name), adults[0])
    used_codes: set[str] = set()
    used_names: set[str] = set()
    organisations = []
    for position in range(count):
        region, district, streets = rng.choice(CHENGDU_DISTRICTS)
        industry, business_scope = rng.choice(INDUSTRIES)
        name = _organisation_name(rng, district, industry, used_names)
        representative = rare_led if position == 0 else rng.choice(adults)
        earliest = max(dt.date(2003, 1, 1), _add_years(representative.birth_date, 22))
        established_on = _random_date(rng, earliest, dt.date(2026, 6, 30))
        organisations.append(
            Organisation(
                credit_code=_credit_code(rng, region, established_on, used_codes),
                name=name,
                legal_representative=representative.name,
                legal_representative_id=representative.resident_id,
                registered_address=(
                    f"四川省成都市{district}{rng.choice(streets)}{rng.randint(1, 399)}号"
                    f"{rng.randint(1, 20)}楼{rng.randint(1, 30)}号"
                ),
                phone=_organisation_phone(rng),
                established_on=established_on,
                business_scope=business_scope,
                status="存续" if rng.random() < 0.94 else "注销",
                registered_capital=rng.choice(REGISTERED_CAPITALS),
            )
        )
    return organisations


def _organisation_name(rng: random.Random, district: str, industry: str, used: set[str]) -> str:
    while True:
        trade_name = rng.choice(TRADE_NAMES)
        trade_name += rng.choice([suffix for suffix in TRADE_SUFFIXES if suffix not in trade_name])
        name = f"成都市{district}{trade_name}{industry}{rng.choice(COMPANY_FORMS)}"
        if name not in used:
            used.add(name)
            return name


def _credit_code(
    rng: random.Random, district_region: str, established_on: dt.date, used: set[str]
) -> str:
    region = district_region if rng.random() < 0.7 else "510100"
    while True:
        if established_on.year >= 2015:
            # Codes given since the reform start with "MA".
            organisation_code = "MA" + "".join(rng.choice(USCC_CHARSET) for _ in range(7))
        else:
            organisation_code = f"{rng.randrange(10**8):08d}" + rng.choice(USCC_CHARSET)
        code = make_uscc(
            authority="9", kind="1", region=region, organisation_code=organisation_code
        )
        if code not in used:
            used.add(code)
            return code


def _organisation_phone(rng: random.Random) -> str:
    if rng.random() < 0.6:
        return f"028-{rng.choice('68')}{rng.randrange(10**7):07d}"
    return rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(100_000_000):08d}"


# --- registry records -------------------------------------------------------


def _make_records(
    rng: random.Random, persons: list[Person], organisations: list[Organisation]
) -> dict[str, dict[str, dict[str, Any]]]:
    records: dict[str, dict[str, dict[str, Any]]] = {code: {} for code in REGISTRY_CODES}
    for person in persons:
        records[POPULATION][person.resident_id] = person.population_data()
    for organisation in organisations:
        records[LEGAL_PERSON][organisation.credit_code] = organisation.legal_person_data()

    for person in persons:
        if person.age in WORKING_AGE:
            records[SOCIAL_INSURANCE][person.resident_id] = _person_social_insurance(rng, person)
    for organisation in organisations:
        records[SOCIAL_INSURANCE][organisation.credit_code] = _organisation_social_insurance(
            organisation
        )

    for organisation in organisations:
        records[TAX][organisation.credit_code] = _tax(rng)
    for person in persons:
        if rng.random() < 0.5:
            records[TAX][person.resident_id] = _tax(rng)

    used_title_numbers: set[str] = set()
    for person in persons:
        if rng.random() < 0.3:
            titles = [
                _title(rng, used_title_numbers) for _ in range(1 if rng.random() < 0.8 else 2)
            ]
            if rng.random() < 0.6:
                titles[0]["address"] = person.address  # most owners live in their own flat
            records[REAL_ESTATE][person.resident_id] = {"titles": titles}
    return records


def _person_social_insurance(rng: random.Random, person: Person) -> dict[str, Any]:
    possible_months = max(1, (person.age - 18) * 12)
    months_paid = rng.randint(max(1, possible_months // 4), possible_months)
    if rng.random() < 0.9:
        return {
            "status": "正常参保",
            "months_paid": months_paid,
            "paid_through": _month_before(REFERENCE_DATE, 1),
        }
    return {
        "status": "暂停参保",
        "months_paid": months_paid,
        "paid_through": _month_before(REFERENCE_DATE, rng.randint(2, 36)),
    }


def _organisation_social_insurance(organisation: Organisation) -> dict[str, Any]:
    months_open = (REFERENCE_DATE.year - organisation.established_on.year) * 12 + (
        REFERENCE_DATE.month - organisation.established_on.month
    )
    if organisation.status == "存续":
        return {
            "status": "正常参保",
            "months_paid": max(1, months_open),
            "paid_through": _month_before(REFERENCE_DATE, 1),
        }
    # A deregistered company stopped paying a while ago.
    stopped_after = max(1, months_open // 2)
    return {
        "status": "暂停参保",
        "months_paid": stopped_after,
        "paid_through": _month_before(REFERENCE_DATE, max(1, months_open - stopped_after)),
    }


def _tax(rng: random.Random) -> dict[str, Any]:
    if rng.random() < 0.06:
        return {
            "arrears": True,
            "arrears_amount": f"{rng.randint(200, 80_000)}.{rng.randrange(100):02d}",
            "credit_rating": rng.choice(("C", "D")),
        }
    return {
        "arrears": False,
        "arrears_amount": "0.00",
        "credit_rating": rng.choices(CREDIT_RATINGS[:3], weights=CREDIT_RATING_WEIGHTS[:3])[0],
    }


def _title(rng: random.Random, used: set[str]) -> dict[str, Any]:
    while True:
        number = f"川({rng.randint(2016, 2026)})成都市不动产权第{rng.randrange(1, 10**7):07d}号"
        if number not in used:
            used.add(number)
            break
    use = rng.choices(("住宅", "商业服务", "车位"), weights=(85, 8, 7))[0]
    area = rng.uniform(12, 30) if use == "车位" else rng.uniform(38, 180)
    return {"number": number, "address": _chengdu_address(rng), "area": f"{area:.2f}", "use": use}


# --- what the car-quota round reads -------------------------------------------

HOUSEHOLD_CITY = re.compile(r"^(?:[^省]+省)?(.+?(?:市|自治州))")
LICENCE_CLASSES = ("C1", "C2", "B2", "A2", "A1")
LICENCE_CLASS_WEIGHTS = (80, 12, 4, 2, 2)
LICENCE_STATUSES = ("正常", "超分", "暂扣", "注销", "吊销")
LICENCE_STATUS_WEIGHTS = (93, 2, 2, 1.5, 1.5)


def _household_status(rng: random.Random, persons: list[Person]) -> None:
    """The household register's status and city: almost everyone 正常, a few moved out
    (迁出) or deregistered (注销); the city is the one of the household address."""
    for person in persons:
        match = HOUSEHOLD_CITY.match(person.household_address)
        person.hukou_city = match.group(1) if match else ""
        draw = rng.random()
        person.status = "注销" if draw < 0.005 else "迁出" if draw < 0.02 else "正常"


def _make_quota_records(
    rng: random.Random,
    persons: list[Person],
    organisations: list[Organisation],
    records: dict[str, dict[str, dict[str, Any]]],
) -> None:
    """Driving licences, vehicles, income tax, organisation codes and tax registrations,
    and the consecutive months of social insurance: a realistic share of people who
    could apply for a car quota and of reasons they could not."""
    for subject_id, insurance in records[SOCIAL_INSURANCE].items():
        if insurance["status"] != "正常参保":
            insurance["consecutive_months"] = 0
        elif subject_id in records[LEGAL_PERSON] or rng.random() < 0.6:
            insurance["consecutive_months"] = insurance["months_paid"]
        else:
            insurance["consecutive_months"] = rng.randint(1, insurance["months_paid"])

    for person in persons:
        licence = _driving_licence(rng, person)
        if licence is not None:
            records[DRIVING_LICENCE][person.resident_id] = licence
        vehicle = _vehicle(rng, has_licence=licence is not None)
        if vehicle is not None:
            records[VEHICLE][person.resident_id] = vehicle
        income_tax = _income_tax(rng, records[SOCIAL_INSURANCE].get(person.resident_id))
        if income_tax is not None:
            records[INCOME_TAX][person.resident_id] = income_tax

    for organisation in organisations:
        exists = organisation.status == "存续"
        records[ORG_CODE][organisation.credit_code] = {
            "organisation_code": organisation.credit_code[8:17],
            "status": ("有效" if rng.random() < 0.95 else "过期") if exists else "注销",
        }
        records[TAX_REGISTRATION][organisation.credit_code] = {
            "status": ("正常" if rng.random() < 0.94 else "非正常") if exists else "注销",
            "registered_on": (
                organisation.established_on + dt.timedelta(days=rng.randint(5, 60))
            ).isoformat(),
        }


def _driving_licence(rng: random.Random, person: Person) -> dict[str, Any] | None:
    age = person.age
    holds = 0.35 if age < 23 else 0.75 if age <= 60 else 0.45
    if rng.random() >= holds:
        return None
    earliest = max(dt.date(1995, 1, 1), _add_years(person.birth_date, 18))
    first_issued = _random_date(rng, earliest, dt.date(2026, 6, 30))
    # Six years for a first licence, ten for each renewal; a few were never renewed.
    valid_until = _add_years(first_issued, 6)
    while valid_until < REFERENCE_DATE and rng.random() < 0.95:
        valid_until = _add_years(valid_until, 10)
    return {
        "licence_no": person.resident_id,
        "class": rng.choices(LICENCE_CLASSES, weights=LICENCE_CLASS_WEIGHTS)[0],
        "first_issued": first_issued.isoformat(),
        "valid_until": valid_until.isoformat(),
        "status": rng.choices(LICENCE_STATUSES, weights=LICENCE_STATUS_WEIGHTS)[0],
    }


def _vehicle(rng: random.Random, *, has_licence: bool) -> dict[str, Any] | None:
    """Who has a car registered (and who only a motorcycle): no record means none."""
    draw = rng.random()
    if has_licence and draw < 0.35:
        return {"passenger_cars": 1 if rng.random() < 0.9 else 2, "other_vehicles": 0}
    if has_licence and draw < 0.43:
        return {"passenger_cars": 0, "other_vehicles": 1}
    if not has_licence and draw < 0.03:
        return {"passenger_cars": 1, "other_vehicles": 0}
    return None


def _income_tax(rng: random.Random, insurance: dict[str, Any] | None) -> dict[str, Any] | None:
    """Income tax paid in the city, mostly alongside the social insurance."""
    if insurance is not None and insurance["status"] == "正常参保":
        if rng.random() >= 0.85:
            return None
        months = insurance["consecutive_months"]
        if rng.random() >= 0.7:
            months = max(0, months - rng.randint(1, 36))
        return {"consecutive_months": months, "paid_through": _month_before(REFERENCE_DATE, 1)}
    if rng.random() < (0.3 if insurance is not None else 0.05):
        return {
            "consecutive_months": 0,
            "paid_through": _month_before(REFERENCE_DATE, rng.randint(2, 24)),
        }
    return None


# --- dates ------------------------------------------------------------------


def _random_date(rng: random.Random, first: dt.date, last: dt.date) -> dt.date:
    return first + dt.timedelta(days=rng.randint(0, (last - first).days))


def _add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _month_before(day: dt.date, months: int) -> str:
    index = day.year * 12 + day.month - 1 - months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"
