"""``manage.py catalogue_network``: the certificate-flow network of the catalogue, as text."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from supervision.selectors.network import TieStrength, catalogue_network


class Command(BaseCommand):
    help = (
        "Print the certificate-flow network of the catalogue (the Chengdu method): "
        "flows, in- and out-degree of every item, the top 20 items by cross-department "
        "out-degree and their share, and the department network (weight m + n) split "
        "into high / medium / low ties by thirds of the flows."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--exclude",
            action="append",
            default=[],
            metavar="CERTIFICATE_CODE",
            help="leave out a routine certificate, e.g. --exclude BUSINESS_LICENCE (repeatable)",
        )
        parser.add_argument(
            "--all-items",
            action="store_true",
            help="list items without any flow too",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        network = catalogue_network(exclude_certificates=options["exclude"])
        write = self.stdout.write
        if network.excluded_certificates:
            write(f"Excluded certificates: {', '.join(network.excluded_certificates)}")
        write(f"Items: {len(network.items)}")
        write(f"Certificate flows: {network.flow_count}")
        write(f"  within a department: {network.intra_department_flow_count}")
        write(f"  cross-department: {network.cross_department_flow_count}")
        write(f"Items with cross-department out-degree >= 1: {network.items_with_cross_out_degree}")
        write("")
        write("Item degrees (in = certificates it needs, out = items that need its certificate)")
        write(f"{'item':<12}{'dept':<6}{'in':>4}{'out':>5}{'x-in':>6}{'x-out':>7}  name")
        for item in network.items:
            if not options["all_items"] and not (item.in_degree or item.out_degree):
                continue
            write(
                f"{item.code:<12}{item.department_code:<6}{item.in_degree:>4}{item.out_degree:>5}"
                f"{item.cross_in_degree:>6}{item.cross_out_degree:>7}  {item.name}"
            )
        write("")
        write(f"Top {len(network.top_items)} items by cross-department out-degree")
        for rank, item in enumerate(network.top_items, start=1):
            write(
                f"{rank:>3}. {item.code:<10} {item.department_code:<4} out {item.cross_out_degree:>3}"
                f"  {item.certificate_name or '-'} ({item.name})"
            )
        share = network.top_items_share
        write(
            f"They carry {network.top_items_flow_count} of {network.cross_department_flow_count} "
            f"cross-department flows: {share:.1%}"
            if share is not None
            else "No cross-department flows."
        )
        write("")
        write("Department network (undirected, weight = m + n)")
        write(f"{'A':<4}{'B':<4}{'m':>4}{'n':>4}{'m+n':>5}  tie")
        for tie in network.ties:
            write(
                f"{tie.department_a:<4}{tie.department_b:<4}{tie.a_to_b:>4}{tie.b_to_a:>4}"
                f"{tie.weight:>5}  {TieStrength(tie.strength).value}"
            )
        for summary in network.strength_summary():
            write(f"{summary['strength']} ties: {summary['ties']} edges, {summary['flows']} flows")
