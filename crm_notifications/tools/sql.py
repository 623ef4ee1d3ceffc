# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Bulk inserts for the append-only logs of the addon."""

from odoo import fields
from odoo.tools import SQL


def insert_unnest(env, table, columns, conflict_key=None):
    """Insert one row per position of ``columns``' value lists, in one
    ``INSERT ... SELECT FROM unnest()`` statement, and return the new ids.

    The ORM's ``create`` issues one INSERT per 100 rows and reads every row
    back; the notification and delivery logs are written on hot paths
    (every assignment, every recipient of a group send) and have no stored
    compute nor ``create`` override to skip, so they are inserted here.

    :param env: the environment (its cursor, its uid for the log columns)
    :param str table: table name
    :param dict columns: column name -> (PostgreSQL type, list of values),
        every list of the same length; ``create_uid``/``create_date``/
        ``write_uid``/``write_date`` are filled in
    :param tuple conflict_key: columns of a unique index: rows that would
        break it are skipped (``ON CONFLICT DO NOTHING``), and left out of the
        returned ids. A conflict with a concurrent transaction is raised as a
        serialization failure, not logged as an error.
    :return: list of the inserted ids
    """
    now = fields.Datetime.now()
    names = list(columns)
    env.cr.execute(
        SQL(
            """INSERT INTO %(table)s (%(columns)s, create_uid, create_date, write_uid, write_date)
               SELECT %(aliases)s, %(uid)s, %(now)s, %(uid)s, %(now)s
                 FROM unnest(%(arrays)s) AS row(%(aliases)s)
               %(conflict)s
            RETURNING id""",
            table=SQL.identifier(table),
            columns=SQL(", ").join(SQL.identifier(name) for name in names),
            aliases=SQL(", ").join(SQL.identifier(f"c_{name}") for name in names),
            arrays=SQL(", ").join(SQL("%s::%s[]", values, SQL(sql_type)) for sql_type, values in columns.values()),
            conflict=SQL(
                "ON CONFLICT (%s) DO NOTHING", SQL(", ").join(SQL.identifier(name) for name in conflict_key)
            ) if conflict_key else SQL(),
            uid=env.uid,
            now=now,
        ),
        log_exceptions=not conflict_key,
    )
    return [row[0] for row in env.cr.fetchall()]


def update_unnest(records, column, sql_type, values):
    """Set ``column`` of each of ``records`` to the value at its position
    in ``values``, in one ``UPDATE ... FROM unnest()`` statement, and
    invalidate the field: the logs link their rows to what was sent (a mail,
    an SMS, a rendered name) a chunk at a time, not a write per row.

    :param records: a recordset of the table to update
    :param str column: column (and field) name
    :param str sql_type: its PostgreSQL type (``int``, ``varchar``)
    :param values: the values, in the order of ``records``
    """
    if not records:
        return
    records.env.cr.execute(SQL(
        """UPDATE %(table)s AS target SET %(column)s = link.value
             FROM unnest(%(ids)s::int[], %(values)s::%(type)s[]) AS link(id, value)
            WHERE target.id = link.id""",
        table=SQL.identifier(records._table), column=SQL.identifier(column),
        ids=records.ids, values=list(values), type=SQL(sql_type),
    ))
    records.invalidate_recordset([column])
