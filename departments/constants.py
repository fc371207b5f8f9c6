from django.db import models
from django.utils.translation import gettext_lazy as _


class DepartmentLevel(models.TextChoices):
    CITY = "city", _("市级")
    COUNTY = "county", _("区县级")
    TOWN = "town", _("乡镇（街道）级")
    VILLAGE = "village", _("村（社区）级")


class ItemKind(models.TextChoices):
    LICENCE = "licence", _("行政许可")
    CONFIRMATION = "confirmation", _("行政确认")
    FILING = "filing", _("备案")
    REGISTRATION = "registration", _("登记")
    PAYMENT = "payment", _("行政给付")
    PUBLIC_SERVICE = "public_service", _("公共服务")
    OTHER = "other", _("其他行政权力")


class Audience(models.TextChoices):
    PERSON = "person", _("个人")
    ORGANISATION = "organisation", _("法人")
    BOTH = "both", _("个人和法人")


class LifeEvent(models.TextChoices):
    """How citizens and companies look for a service: by their matter, not by department."""

    BIRTH = "birth", _("生育收养")
    MARRIAGE = "marriage", _("婚姻登记")
    HOUSING = "housing", _("住房保障与不动产")
    WORK = "work", _("就业创业与社保")
    EDUCATION = "education", _("教育")
    COMPANY_START = "company_start", _("企业开办")
    COMPANY_CHANGE = "company_change", _("企业变更")
    COMPANY_CLOSE = "company_close", _("企业注销")
    CONSTRUCTION = "construction", _("工程建设")
    OTHER = "other", _("其他")


class RegistryKind(models.TextChoices):
    POPULATION = "population", _("人口信息")
    LEGAL_PERSON = "legal_person", _("法人信息")
    SOCIAL_INSURANCE = "social_insurance", _("社会保险")
    TAX = "tax", _("税务")
    INCOME_TAX = "income_tax", _("个人所得税")
    TAX_REGISTRATION = "tax_registration", _("税务登记")
    ORGANISATION_CODE = "organisation_code", _("组织机构代码")
    DRIVING_LICENCE = "driving_licence", _("机动车驾驶人")
    VEHICLE = "vehicle", _("车辆")
    REAL_ESTATE = "real_estate", _("不动产")
    CREDIT = "credit", _("信用")
    OTHER = "other", _("其他")


class CertificateFormats(models.TextChoices):
    """Which documents a certificate type is issued as: the PDF, the national-standard OFD
    (GB/T 33190, sealed with SM2), or both."""

    PDF = "pdf", _("PDF")
    OFD = "ofd", _("OFD")
    BOTH = "both", _("PDF和OFD")


class ConnectorKind(models.TextChoices):
    LOCAL = "local", _("本地数据表")
    HTTP = "http", _("部门HTTP接口")


class Role(models.TextChoices):
    CLERK = "clerk", _("综合窗口受理人员")
    AGENT = "agent", _("村（社区）代办员")
    REVIEWER = "reviewer", _("部门审批人员")
    SUPERVISOR = "supervisor", _("电子监察人员")
    DEPARTMENT_SYSTEM = "department_system", _("部门业务系统")
    LOTTERY_OFFICER = "lottery_officer", _("指标摇号管理人员")
