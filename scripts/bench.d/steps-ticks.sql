-- scripts/bench steps: :events 'tick' events over the active bench cases, in one statement,
-- spread evenly: tick i goes to case i mod N, so every case gets its ticks in turn (seq 1 for
-- every case first, then seq 2, ...), as add_ticks does. Source 'bench-RUN' tells the runs
-- apart.
WITH c AS (SELECT id, row_number() OVER (ORDER BY id) - 1 AS k
             FROM overgang.cases
            WHERE status = 'active' AND workflow_name = 'bench-steps'),
     n AS (SELECT count(*) AS n FROM c)
INSERT INTO overgang.event (case_id, type, payload, source, idem_key)
SELECT c.id, 'tick', jsonb_build_object('seq', i / n.n + 1), 'bench-' || :'run',
       'tick:' || (i / n.n + 1)
  FROM generate_series(0, :events - 1) i
 CROSS JOIN n
  JOIN c ON c.k = i % n.n
 ORDER BY i;
