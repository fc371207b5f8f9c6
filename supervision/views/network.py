from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from ..access import supervisor_required
from ..charts import Bar, GraphEdge, GraphNode, bar_chart_svg, circle_graph_svg
from ..selectors.network import catalogue_network


@supervisor_required
def network_page(request: HttpRequest) -> HttpResponse:
    excluded = [code for code in request.GET.getlist("exclude") if code]
    network = catalogue_network(exclude_certificates=excluded)
    codes = sorted(
        {tie.department_a for tie in network.ties} | {tie.department_b for tie in network.ties},
        key=lambda code: (len(code), code),
    )
    graph = circle_graph_svg(
        [
            GraphNode(key=code, label=code, title=network.department_names.get(code, code))
            for code in codes
        ],
        [
            GraphEdge(
                source=tie.department_a,
                target=tie.department_b,
                weight=tie.weight,
                colour_key=tie.strength,
                title=f"{tie.department_a}—{tie.department_b}: {tie.weight} ({tie.strength_label})",
            )
            for tie in network.ties
        ],
        title=_("部门间证照流动网络"),
    )
    top_chart = bar_chart_svg(
        [
            Bar(label=f"{item.code} {item.certificate_name or ''}", value=item.cross_out_degree,
                text=str(item.cross_out_degree))
            for item in network.top_items
        ],
        title=_("出度排名前20的事项（跨部门）"),
    )  # fmt: skip
    return render(
        request,
        "supervision/network.html",
        {
            "network": network,
            "graph": graph,
            "top_chart": top_chart,
            "items_with_flows": [
                item for item in network.items if item.in_degree or item.out_degree
            ],
            "certificate_codes": sorted(
                {item.certificate_code for item in network.items if item.certificate_code}
            ),
            "excluded": excluded,
        },
    )
