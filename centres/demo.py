"""The demo's service network, after Bozhou's (seed article 004): the city centre, three
of its counties, two towns (a street and a township) under 谯城区, and two village points
under 古井镇, each with its queues and windows.

Codes are letters (BZ for 亳州, QC for 谯城区, QCGJ for 古井镇 …), so the demo's logins read
well: ``clerk_qcgj`` works at 古井镇, ``supervisor_qc`` supervises 谯城区.
"""

from __future__ import annotations

from .constants import CentreLevel

# code, parent code, level, name, address, phone
CENTRES: tuple[tuple[str, str | None, str, str, str, str], ...] = (
    ("BZ", None, CentreLevel.CITY, "亳州市政务服务中心", "安徽省亳州市谯城区希夷大道与芍花路交叉口", "0558-12345"),
    ("QC", "BZ", CentreLevel.COUNTY, "谯城区政务服务中心", "安徽省亳州市谯城区汤王大道366号", "0558-5512345"),
    ("GY", "BZ", CentreLevel.COUNTY, "涡阳县政务服务中心", "安徽省亳州市涡阳县星园路1号", "0558-7212345"),
    ("MC", "BZ", CentreLevel.COUNTY, "蒙城县政务服务中心", "安徽省亳州市蒙城县庄周路88号", "0558-7612345"),
    ("QCHXL", "QC", CentreLevel.TOWN, "花戏楼街道便民服务中心", "安徽省亳州市谯城区花戏楼街道咸宁街12号", "0558-5501001"),
    ("QCGJ", "QC", CentreLevel.TOWN, "古井镇便民服务中心", "安徽省亳州市谯城区古井镇古井大道18号", "0558-5502002"),
    ("QCGJGJ", "QCGJ", CentreLevel.VILLAGE, "古井村便民服务代办点", "安徽省亳州市谯城区古井镇古井村村委会", "0558-5502101"),
    ("QCGJZJ", "QCGJ", CentreLevel.VILLAGE, "张集村便民服务代办点", "安徽省亳州市谯城区古井镇张集村村委会", "0558-5502102"),
)  # fmt: skip

# The queues of a centre at each level: code, name.
QUEUES: dict[str, tuple[tuple[str, str], ...]] = {
    CentreLevel.CITY: (("A", "综合受理"), ("B", "不动产登记"), ("C", "企业开办专区"), ("D", "社保医保")),
    CentreLevel.COUNTY: (("A", "综合受理"), ("B", "不动产登记"), ("C", "企业开办专区")),
    CentreLevel.TOWN: (("A", "综合受理"), ("B", "社保民政")),
    CentreLevel.VILLAGE: (("A", "代办服务"),),
}  # fmt: skip

# The windows of a centre at each level: number, the queue codes it calls.
WINDOWS: dict[str, tuple[tuple[int, str], ...]] = {
    CentreLevel.CITY: ((1, "A"), (2, "A"), (3, "A"), (4, "B"), (5, "C"), (6, "AD")),
    CentreLevel.COUNTY: ((1, "A"), (2, "A"), (3, "B"), (4, "C")),
    CentreLevel.TOWN: ((1, "A"), (2, "AB")),
    CentreLevel.VILLAGE: ((1, "A"),),
}

# Weekends too at the city centre (Saturday mornings), as many Chinese halls do.
CITY_SATURDAY = [["09:00", "12:00"]]
