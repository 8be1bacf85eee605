/*
 * overgang demo-data: a synthetic municipality for the demo (scripts/demo) and for trying the
 * API by hand: the departments and staff the shipped workflows need, a lead in each,
 * about 10,000 made-up citizens, and cases of barn-til-voksen and uddannelse-til-job in
 * every phase with their tasks, handovers, events, tovholder history, goals and measures.
 *
 * Idempotent: every citizen carries its number in the attribute "demo_nr", every case the
 * start sweep's key ('sweep:WORKFLOW:CITIZEN'), so running it again adds only what is
 * missing (more citizens with a larger --citizens) and the start sweep never starts a
 * second case for a citizen that has one. One transaction, set-based SQL: seconds.
 *
 * The cases are written as the engine would have left them, from a timeline per workflow
 * and variant (template_sql below: the days from the start on which each task is created,
 * falls due and is done, each timer fires, the phase changes and the case closes): a case's
 * age in days picks what has happened. Events already handled are 'done' (the 'started'
 * event too, so the engine never starts a case again); timers in the future are pending,
 * the only events a daemon will step, besides the task_overdue events of tasks whose
 * deadline has passed. Letters (outbox) are not written: nothing is sent for the past.
 *
 * Synthetic CPR numbers: the day of the month plus 60 (61 to 91), then month, year and a
 * serial whose first digit gives the century as the CPR rules say (4xxx for 2000-2036,
 * 0xxx-3xxx for the 1900s). The CPR office never issues a day above 31, so such a number
 * can never be a real person's, and anyone can see it is made up. Stored like the API's
 * registration: the keyed hash of [api] cpr_key_file beside the number; without a key the
 * citizens get no CPR number.
 */
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "api/token.h"
#include "cli/cli.h"
#include "core/deploy.h"
#include "util/cpr.h"

#define DEFAULT_CITIZENS 10000
#define MAX_CITIZENS 1000000

static const char directory_sql[] =
	"WITH s (id, name, dept, lead) AS (VALUES\n"
	"    ('birgit.lund', 'Birgit Lund', 'born-familie', true),\n"
	"    ('hanne.kjaer', 'Hanne Kjær', 'born-familie', false),\n"
	"    ('mads.bach', 'Mads Bach', 'born-familie', false),\n"
	"    ('camilla.juhl', 'Camilla Juhl', 'born-familie', false),\n"
	"    ('rasmus.friis', 'Rasmus Friis', 'born-familie', false),\n"
	"    ('louise.berg', 'Louise Berg', 'born-familie', false),\n"
	"    ('tove.vinther', 'Tove Vinther', 'voksenhandicap', true),\n"
	"    ('nadia.ali', 'Nadia Ali', 'voksenhandicap', false),\n"
	"    ('jesper.krogh', 'Jesper Krogh', 'voksenhandicap', false),\n"
	"    ('line.dam', 'Line Dam', 'voksenhandicap', false),\n"
	"    ('kim.thorsen', 'Kim Thorsen', 'ungeindsats', true),\n"
	"    ('maja.storm', 'Maja Storm', 'ungeindsats', false),\n"
	"    ('ali.yilmaz', 'Ali Yılmaz', 'ungeindsats', false),\n"
	"    ('eva.bruun', 'Eva Bruun', 'ungeindsats', false),\n"
	"    ('henrik.lind', 'Henrik Lind', 'jobcenter', true),\n"
	"    ('sanne.moeller', 'Sanne Møller', 'jobcenter', false),\n"
	"    ('peter.skov', 'Peter Skov', 'jobcenter', false),\n"
	"    ('tina.holt', 'Tina Holt', 'jobcenter', false),\n"
	"    ('ulla.boe', 'Ulla Boe', 'ppr', true),\n"
	"    ('jakob.lyng', 'Jakob Lyng', 'ppr', false),\n"
	"    ('grete.munk', 'Grete Munk', 'pension', true),\n"
	"    ('allan.winther', 'Allan Winther', 'pension', false),\n"
	"    ('susanne.hald', 'Susanne Hald', 'bostoette', true),\n"
	"    ('morten.roed', 'Morten Rød', 'bostoette', false),\n"
	"    ('karen.vestergaard', 'Karen Vestergaard', 'sundhed', true),\n"
	"    ('lene.krag', 'Lene Krag', 'socialpsykiatri', true),\n"
	"    ('niels.ravn', 'Niels Ravn (systemadministrator)', NULL, false),\n"
	"    ('anne.kold', 'Anne Kold (direktør)', NULL, false),\n"
	"    ('bodil.rask', 'Bodil Rask (databeskyttelsesrådgiver)', NULL, false)),\n"
	"d AS (\n"
	"    INSERT INTO department (id, name) VALUES\n"
	"        ('born-familie', 'Børn og Familie'), ('voksenhandicap', 'Voksenhandicap'),\n"
	"        ('ungeindsats', 'Ungeindsatsen (KUI)'), ('jobcenter', 'Jobcenter'), ('ppr', "
	"'PPR'),\n"
	"        ('pension', 'Pension'), ('bostoette', 'Bostøtte'), ('sundhed', 'Sundhed'),\n"
	"        ('socialpsykiatri', 'Socialpsykiatri')\n"
	"    ON CONFLICT (id) DO NOTHING RETURNING 1),\n"
	"st AS (\n"
	"    INSERT INTO staff (id, name, email)\n"
	"    SELECT id, name, id || '@kommune.example' FROM s\n"
	"    ON CONFLICT (id) DO NOTHING RETURNING 1),\n"
	"sd AS (\n"
	"    INSERT INTO staff_department (staff_id, department_id, is_lead)\n"
	"    SELECT s.id, s.dept, s.lead FROM s\n"
	"     WHERE s.dept IS NOT NULL\n"
	"       AND (SELECT count(*) FROM st) >= 0 AND (SELECT count(*) FROM d) >= 0\n"
	"    ON CONFLICT DO NOTHING RETURNING 1)\n"
	"SELECT (SELECT count(*) FROM d), (SELECT count(*) FROM st), (SELECT count(*) FROM sd)";

static const char citizens_sql[] =
	"WITH g AS (\n"
	"    SELECT i, abs(hashint4(i)) % 1000 AS h, abs(hashint4(i + 7777777)) % 1000 AS h2,\n"
	"           abs(hashint4(i + 3333333)) % 1000 AS h3\n"
	"      FROM generate_series(1, $1::int) AS i\n"
	"     WHERE NOT EXISTS (SELECT 1 FROM citizen c WHERE c.attributes->'demo_nr' = "
	"to_jsonb(i))),\n"
	"b AS (\n"
	"    SELECT g.*,\n"
	"           CASE\n"
	"             -- turns 16 this month: the start sweep's work\n"
	"             WHEN i % 100 = 0 THEN date_trunc('month', current_date)::date\n"
	"                                   - interval '16 years' + ((i / 100) % 28) * interval '1 "
	"day'\n"
	"             -- a young person in every phase of barn-til-voksen\n"
	"             WHEN i % 50 = 7 THEN current_date - interval '16 years'\n"
	"                                  - (ARRAY[5, 20, 29, 60, 130, 200, 246, 299, 320, 360, "
	"420, 500,\n"
	"                                           550, 555, 580, 620, 660, 700, 800, 930, 960, "
	"1100])\n"
	"                                    [(i / 50) % 22 + 1] * interval '1 day'\n"
	"             -- a young person in the final year of STU\n"
	"             WHEN i % 50 = 17 THEN current_date - interval '19 years'\n"
	"                                   - ((i / 50) % 700) * interval '1 day'\n"
	"             ELSE current_date - ((i::bigint * 7919 + 13) % 10950) * interval '1 day'\n"
	"           END::date AS born\n"
	"      FROM g)\n"
	"INSERT INTO citizen (display_name, birth_date, attributes)\n"
	"SELECT (ARRAY['Anna', 'Emma', 'Ida', 'Freja', 'Clara', 'Laura', 'Sofie', 'Maja', "
	"'Karla',\n"
	"              'Alma', 'Ella', 'Josefine', 'Mathilde', 'Agnes', 'Lærke', 'Frida', 'Nora',\n"
	"              'Astrid', 'Signe', 'Liva', 'William', 'Noah', 'Oscar', 'Lucas', 'Victor',\n"
	"              'Malthe', 'Emil', 'Alfred', 'Carl', 'Oliver', 'Elias', 'Magnus', 'Aksel',\n"
	"              'Valdemar', 'Frederik', 'Anton', 'Arthur', 'August', 'Johan', 'Søren'])[h % "
	"40 + 1]\n"
	"       || ' ' ||\n"
	"       (ARRAY['Nielsen', 'Jensen', 'Hansen', 'Pedersen', 'Andersen', 'Christensen', "
	"'Larsen',\n"
	"              'Sørensen', 'Rasmussen', 'Jørgensen', 'Petersen', 'Madsen', 'Kristensen', "
	"'Olsen',\n"
	"              'Thomsen', 'Christiansen', 'Poulsen', 'Johansen', 'Møller', 'Mortensen', "
	"'Knudsen',\n"
	"              'Jakobsen', 'Mikkelsen', 'Olesen', 'Frederiksen', 'Laursen', 'Henriksen', "
	"'Lund',\n"
	"              'Schmidt', 'Holm'])[h2 % 30 + 1],\n"
	"       born,\n"
	"       jsonb_strip_nulls(jsonb_build_object(\n"
	"           'demo_nr', i,\n"
	"           -- about 5 in 100 have a significant and lasting reduced function\n"
	"           'funktionsnedsaettelse',\n"
	"               CASE WHEN i % 50 = 7 OR (i % 100 = 0 AND (i / 100) % 4 = 0)\n"
	"                         OR (i % 50 NOT IN (7, 17) AND i % 100 <> 0 AND h3 < 30) THEN "
	"true END,\n"
	"           -- placed outside the home: about 1 in 100, and one in six of those with a "
	"reduced\n"
	"           -- function (every third of the young people in every phase)\n"
	"           'anbragt',\n"
	"               CASE WHEN (i % 50 = 7 AND ((i / 50) / 22) % 6 IN (1, 3))\n"
	"                         OR (i % 50 NOT IN (7, 17) AND i % 100 <> 0\n"
	"                             AND (h3 < 5 OR h3 >= 990)) THEN true END,\n"
	"           -- the final year of STU: about 2 in 100 of those aged 18 to 24\n"
	"           'stu_sidste_aar',\n"
	"               CASE WHEN i % 50 = 17\n"
	"                         OR (i % 50 NOT IN (7, 17) AND i % 100 <> 0 AND h2 < 20\n"
	"                             AND born <= current_date - interval '18 years'\n"
	"                             AND born > current_date - interval '24 years') THEN true "
	"END))\n"
	"  FROM b\n"
	" ORDER BY i\n"
	"RETURNING id";

static const char cpr_sql[] =
	"WITH need AS (\n"
	"    SELECT c.id, c.birth_date,\n"
	"           row_number() OVER (PARTITION BY c.birth_date ORDER BY c.id) - 1\n"
	"           + (SELECT count(*) FROM citizen o JOIN citizen_cpr oc ON oc.citizen_id = o.id\n"
	"               WHERE o.birth_date = c.birth_date AND o.attributes ? 'demo_nr') AS k\n"
	"      FROM citizen c\n"
	"     WHERE c.attributes ? 'demo_nr'\n"
	"       AND NOT EXISTS (SELECT 1 FROM citizen_cpr cc WHERE cc.citizen_id = c.id))\n"
	"SELECT id,\n"
	"       lpad((extract(day FROM birth_date)::int + 60)::text, 2, '0')\n"
	"       || to_char(birth_date, 'MMYY')\n"
	"       || lpad(((CASE WHEN birth_date >= date '2000-01-01' THEN 4000 ELSE 0 END) + "
	"k)::text, 4, '0')\n"
	"  FROM need\n"
	" WHERE k < 1000\n"
	" ORDER BY id";

static const char template_sql[] =
	"CREATE TEMP TABLE dd_tpl ON COMMIT DROP AS\n"
	"SELECT * FROM (VALUES\n"
	" -- barn-til-voksen: S standard, A placed outside the home (anbragt), N declines at the\n"
	" -- dialogue meeting, NA placed and declines (nej-tak until the § 111 decision is "
	"taken).\n"
	" -- Days from the 16th birthday.\n"
	" ('barn-til-voksen', '{S,A}'::text[], 'task', 'dialogmoede', NULL::text, 'born-familie', "
	"false,\n"
	"  'Dialogmøde med den unge og forældrene (Barnets Lov § 123)',\n"
	"  'Tal med den unge og forældrene om de seks temaer i Barnets Lov § 123. Skriv den unges "
	"egne mål ned med den unges egne ord, og hvilket tema hvert mål hører til. Skriv ønskerne "
	"ned, vurdér støttebehovet (FFB), og vælg kun de temaer, der er brug for. Siger den unge "
	"nej tak, så skriv det.',\n"
	"  0, 28, 30, NULL::int, '{\"stoettebehov\": \"moderat\", \"oensker\": \"At bo tæt på "
	"familien og have noget at stå op til\"}'::jsonb,\n"
	"  'afdaekning', NULL::text, NULL::jsonb),\n"
	" ('barn-til-voksen', '{N}', 'task', 'dialogmoede', NULL, 'born-familie', false,\n"
	"  'Dialogmøde med den unge og forældrene (Barnets Lov § 123)', NULL,\n"
	"  0, 28, 30, NULL, '{\"afslaar\": true, \"begrundelse\": \"Den unge vil klare sig "
	"selv\"}',\n"
	"  'afslaaet', 'afslaaet', NULL),\n"
	" ('barn-til-voksen', '{NA}', 'task', 'dialogmoede', NULL, 'born-familie', false,\n"
	"  'Dialogmøde med den unge og forældrene (Barnets Lov § 123)', NULL,\n"
	"  0, 28, 30, NULL, '{\"afslaar\": true, \"begrundelse\": \"Den unge vil klare sig "
	"selv\"}',\n"
	"  'nej-tak', NULL, NULL),\n"
	" ('barn-til-voksen', '{S,A}', 'task', 'tema-stoettebehov-voksenhandicap', NULL, "
	"'voksenhandicap', false,\n"
	"  'Overgang til voksenlivet: Støttebehov som følge af funktionsnedsættelsen (Barnets Lov "
	"§ 123)', 'TEMA',\n"
	"  30, 243, 120, NULL, '{\"notat\": \"Behov for bostøtte og ledsagelse vurderet\"}', NULL, "
	"NULL, NULL),\n"
	" ('barn-til-voksen', '{S,A}', 'task', 'tema-uddannelse-ungeindsats', NULL, 'ungeindsats', "
	"false,\n"
	"  'Overgang til voksenlivet: Uddannelse (Barnets Lov § 123)', 'TEMA',\n"
	"  30, 243, 150, NULL, '{\"notat\": \"STU drøftet med den unge\"}', NULL, NULL, NULL),\n"
	" ('barn-til-voksen', '{S,A}', 'task', 'tema-uddannelse-ppr', NULL, 'ppr', false,\n"
	"  'Overgang til voksenlivet: Uddannelse (Barnets Lov § 123)', 'TEMA',\n"
	"  30, 243, 250, NULL, '{\"notat\": \"Skoleudtalelse sendt\"}', NULL, NULL, NULL),\n"
	" ('barn-til-voksen', '{S,A}', 'task', 'tema-sociale-forhold-born-familie', NULL, "
	"'born-familie', false,\n"
	"  'Overgang til voksenlivet: Sociale forhold (Barnets Lov § 123)', 'TEMA',\n"
	"  30, 243, 170, NULL, '{\"notat\": \"Netværk og fritid beskrevet\"}', NULL, NULL, NULL),\n"
	" ('barn-til-voksen', '{S,A}', 'task', 'tema-beskaeftigelse-jobcenter', NULL, 'jobcenter', "
	"false,\n"
	"  'Overgang til voksenlivet: Beskæftigelse og forsørgelse (Barnets Lov § 123)', 'TEMA',\n"
	"  30, 304, 200, NULL, '{\"notat\": \"Praktik kan komme på tale efter STU\"}', NULL, NULL, "
	"NULL),\n"
	" ('barn-til-voksen', '{S,A}', 'task', 'tema-beskaeftigelse-pension', NULL, 'pension', "
	"false,\n"
	"  'Overgang til voksenlivet: Beskæftigelse og forsørgelse (Barnets Lov § 123)', 'TEMA',\n"
	"  30, 304, 230, NULL, '{\"notat\": \"Forsørgelse fra 18 år undersøgt\"}', NULL, NULL, "
	"NULL),\n"
	" ('barn-til-voksen', '{S,A}', 'task', 'tema-bolig-bostoette', NULL, 'bostoette', false,\n"
	"  'Overgang til voksenlivet: Bolig (Barnets Lov § 123)', 'TEMA',\n"
	"  30, 304, 280, NULL, '{\"notat\": \"Skriv op til bofællesskab\"}', NULL, NULL, NULL),\n"
	" ('barn-til-voksen', '{S,A}', 'task', 'tema-andet-born-familie', NULL, 'born-familie', "
	"false,\n"
	"  'Overgang til voksenlivet: Andet (fx sundhed, fritid, hjælpemidler) (Barnets Lov § "
	"123)', 'TEMA',\n"
	"  30, 304, 300, NULL, '{\"notat\": \"Hjælpemidler følger med\"}', 'planlaegning', NULL, "
	"NULL),\n"
	" ('barn-til-voksen', '{S,A}', 'task', 'plan', NULL, 'TOV', true,\n"
	"  'Samlet plan for overgangen til voksenlivet (Barnets Lov § 123)',\n"
	"  'Saml bidragene og den unges mål i en plan, som den unge og forældrene kender. Planen "
	"må ikke være mere omfattende end nødvendigt.',\n"
	"  300, 365, 350, NULL, '{}', NULL, NULL, NULL),\n"
	" ('barn-til-voksen', '{S,A}', 'timer', 'overdrag', 'overdrag', NULL, false, NULL, NULL,\n"
	"  0, 547, NULL, NULL, NULL, 'overdragelse', NULL, '{}'),\n"
	" ('barn-til-voksen', '{N,NA}', 'timer', 'overdrag', 'overdrag', NULL, false, NULL, NULL,\n"
	"  0, 547, NULL, 30, NULL, NULL, NULL, '{}'),\n"
	" ('barn-til-voksen', '{S,A}', 'handover', 'overdragelse', NULL, 'voksenhandicap', false,\n"
	"  'Overdragelse: ung med funktionsnedsættelse fylder 18 den {18}', NULL,\n"
	"  547, 561, 560, NULL, NULL, 'afgoerelse', NULL, NULL),\n"
	" ('barn-til-voksen', '{S,A}', 'task', 'afgoerelse-voksen', NULL, 'voksenhandicap', "
	"false,\n"
	"  'Afgørelse om støtte fra 18 år, så støtten kan begynde {18}',\n"
	"  'Træf afgørelse om den unges støtte som voksen på grundlag af overdragelsen, så støtten "
	"kan begynde på 18-årsdagen (Barnets Lov § 123). Den mindst indgribende indsats overvejes "
	"først.',\n"
	"  560, 669, 640, NULL, '{\"afgoerelse\": \"Bostøtte og ledsagelse bevilget fra 18 år\"}', "
	"'opfoelgning', NULL, NULL),\n"
	" ('barn-til-voksen', '{S,A}', 'timer', 'opfoelgning-3', 'opfoelgning', NULL, false, NULL, "
	"NULL,\n"
	"  560, 651, NULL, NULL, NULL, NULL, NULL, '{\"maaneder\": 3}'),\n"
	" ('barn-til-voksen', '{S,A}', 'timer', 'opfoelgning-12', 'opfoelgning', NULL, false, "
	"NULL, NULL,\n"
	"  560, 925, NULL, NULL, NULL, NULL, NULL, '{\"maaneder\": 12}'),\n"
	" ('barn-til-voksen', '{S,A}', 'task', 'opfoelgning-3', NULL, 'TOV', false,\n"
	"  'Opfølgning 3 måneder efter overdragelsen: hjælper støtten den unge mod sine mål?',\n"
	"  'Vurdér støttebehovet (FFB) igen, og følg op på hvert af den unges mål (opnået, delvist "
	"opnået, ikke opnået, ikke relevant).',\n"
	"  651, 681, 670, NULL, '{\"stoettebehov\": \"let\", \"resultat\": \"delvist opnaaet\", "
	"\"fortsaet\": \"ja\"}', "
	"NULL, NULL, NULL),\n"
	" ('barn-til-voksen', '{S,A}', 'task', 'opfoelgning-12', NULL, 'TOV', false,\n"
	"  'Opfølgning 12 måneder efter overdragelsen: hjælper støtten den unge mod sine mål?',\n"
	"  'Vurdér støttebehovet (FFB) igen, og følg op på hvert af den unges mål (opnået, delvist "
	"opnået, ikke opnået, ikke relevant).',\n"
	"  925, 955, 950, NULL, '{\"stoettebehov\": \"let\", \"resultat\": \"opnaaet\", "
	"\"fortsaet\": "
	"\"nej\"}', "
	"'afsluttet', 'overgaaet', NULL),\n"
	" ('barn-til-voksen', '{A}', 'task', 'afgoerelse-111', NULL, 'born-familie', false,\n"
	"  'Afgørelse om støtte efter 18 år til anbragt ung (Barnets Lov § 111), senest {17.6}',\n"
	"  'Den unge er anbragt. Afgørelsen om ungestøtte efter det fyldte 18. år skal træffes "
	"senest 6 måneder før 18-årsdagen (Barnets Lov § 111).',\n"
	"  0, 547, 400, NULL, '{\"afgoerelse\": \"ungestøtte bevilget\"}', NULL, NULL, NULL),\n"
	" ('barn-til-voksen', '{NA}', 'task', 'afgoerelse-111', NULL, 'born-familie', false,\n"
	"  'Afgørelse om støtte efter 18 år til anbragt ung (Barnets Lov § 111), senest {17.6}',\n"
	"  'Den unge er anbragt. Afgørelsen om ungestøtte efter det fyldte 18. år skal træffes "
	"senest 6 måneder før 18-årsdagen (Barnets Lov § 111).',\n"
	"  0, 547, 400, NULL, '{\"afgoerelse\": \"ikke relevant\"}', 'afslaaet', 'afslaaet', "
	"NULL),\n"
	" ('barn-til-voksen', '{A,NA}', 'timer', 'varsel-111', 'varsel_111', NULL, false, NULL, "
	"NULL,\n"
	"  0, 486, NULL, 400, NULL, NULL, NULL, '{}'),\n"
	" ('barn-til-voksen', '{A,NA}', 'timer', 'frist-111', 'frist_111', NULL, false, NULL, "
	"NULL,\n"
	"  0, 548, NULL, 400, NULL, NULL, NULL, '{}'),\n"
	" -- uddannelse-til-job: S standard (starts in a praktik before the handover), L starts\n"
	" -- later, after the jobcenter took over, J says no thanks at the first talk. Days from "
	"the\n"
	" -- start (the programme ends a year after it).\n"
	" ('uddannelse-til-job', '{S,L}', 'task', 'samtale', NULL, 'ungeindsats', false,\n"
	"  'Samtale med den unge: eget mål og hvor den unge står nu',\n"
	"  'Skriv den unges mål med den unges egne ord og et tema (uddannelse, job, ...). "
	"Udgangspunkt: i job eller uddannelse (ja/nej), timer om ugen, og den unges egen vurdering "
	"på en skala fra 1 til 10.',\n"
	"  0, 28, 30, NULL, '{\"maal\": \"Jeg vil gerne arbejde med dyr\", \"tema\": "
	"\"beskaeftigelse\", \"i_job_eller_uddannelse\": false, \"timer\": 0, \"selvvurdering\": "
	"4, \"maaltype\": \"udvikle\", \"forventet_niveau\": \"let\", \"ffb_tema\": \"Varetage "
	"beskæftigelse\"}',\n"
	"  NULL, NULL, NULL),\n"
	" ('uddannelse-til-job', '{J}', 'task', 'samtale', NULL, 'ungeindsats', false,\n"
	"  'Samtale med den unge: eget mål og hvor den unge står nu', NULL,\n"
	"  0, 28, 30, NULL, '{\"takker_nej\": true, \"begrundelse\": \"Vil selv finde et job\"}',\n"
	"  'fravalgt', 'takket-nej', NULL),\n"
	" ('uddannelse-til-job', '{S,L,J}', 'task', 'jobcenter-planlaegning', NULL, 'jobcenter', "
	"false,\n"
	"  'Planlægning af tiden efter STU sammen med den unge og ungeindsatsen',\n"
	"  'Det næste skridt efter STU planlægges i det sidste år sammen med jobcentret.',\n"
	"  0, 61, 55, NULL, '{}', NULL, NULL, NULL),\n"
	" ('uddannelse-til-job', '{S,L}', 'task', 'valg-af-trin', NULL, 'ungeindsats', false,\n"
	"  'Vælg næste skridt mod job eller uddannelse (mindst indgribende først)',\n"
	"  'Samtalen er holdt. Skriv i fravalgt, hvorfor de lettere skridt ikke er nok. Et "
	"eksternt tilbud (lokal = false) kræver en ekstern_begrundelse.',\n"
	"  30, 51, 50, NULL, '{\"trin\": \"praktik\", \"tilbud\": \"Praktik i dyrehandel i byen\", "
	"\"lokal\": true, \"fravalgt\": {\"ordinaert-job\": \"Har brug for at prøve arbejdslivet "
	"af først\"}}',\n"
	"  'skridt', NULL, NULL),\n"
	" ('uddannelse-til-job', '{S}', 'task', 'praktik', NULL, 'jobcenter', false,\n"
	"  'Praktik i en virksomhed (lov om en aktiv beskæftigelsesindsats)',\n"
	"  'Tilbud: Praktik i dyrehandel i byen, lokalt. Resultat: startet (start, timer) eller "
	"ikke-nok (hvorfor).',\n"
	"  50, 141, 150, NULL, '{\"resultat\": \"startet\", \"timer\": 20, \"i\": "
	"\"ordinaert-job\"}', NULL, NULL, NULL),\n"
	" ('uddannelse-til-job', '{L}', 'task', 'praktik', NULL, 'jobcenter', false,\n"
	"  'Praktik i en virksomhed (lov om en aktiv beskæftigelsesindsats)',\n"
	"  'Tilbud: Praktik i dyrehandel i byen, lokalt. Resultat: startet (start, timer) eller "
	"ikke-nok (hvorfor).',\n"
	"  50, 141, 330, NULL, '{\"resultat\": \"startet\", \"timer\": 20, \"i\": "
	"\"ordinaert-job\"}', 'opfoelgning', NULL, NULL),\n"
	" ('uddannelse-til-job', '{S,L,J}', 'timer', 'overdrag', 'overdrag', NULL, false, NULL, "
	"NULL,\n"
	"  0, 274, NULL, NULL, NULL, 'overdragelse', NULL, '{}'),\n"
	" ('uddannelse-til-job', '{S}', 'handover', 'overdragelse', NULL, 'jobcenter', false,\n"
	"  'Overdragelse: ung fra STU mod job eller uddannelse', NULL,\n"
	"  274, 288, 285, NULL, NULL, 'opfoelgning', NULL, NULL),\n"
	" ('uddannelse-til-job', '{L}', 'handover', 'overdragelse', NULL, 'jobcenter', false,\n"
	"  'Overdragelse: ung fra STU mod job eller uddannelse', NULL,\n"
	"  274, 288, 285, NULL, NULL, 'jobcenter', NULL, NULL),\n"
	" ('uddannelse-til-job', '{S}', 'timer', 'opfoelgning-3', 'opfoelgning', NULL, false, "
	"NULL, NULL,\n"
	"  150, 241, NULL, NULL, NULL, NULL, NULL, '{\"maaneder\": 3}'),\n"
	" ('uddannelse-til-job', '{S}', 'timer', 'opfoelgning-6', 'opfoelgning', NULL, false, "
	"NULL, NULL,\n"
	"  150, 332, NULL, NULL, NULL, NULL, NULL, '{\"maaneder\": 6}'),\n"
	" ('uddannelse-til-job', '{S}', 'timer', 'opfoelgning-12', 'opfoelgning', NULL, false, "
	"NULL, NULL,\n"
	"  150, 515, NULL, NULL, NULL, NULL, NULL, '{\"maaneder\": 12}'),\n"
	" ('uddannelse-til-job', '{S}', 'task', 'opfoelgning-3', NULL, 'TOV', false,\n"
	"  'Opfølgning 3 måneder efter start i job eller uddannelse', 'OPF',\n"
	"  241, 255, 250, NULL, '{\"i_job_eller_uddannelse\": true, \"timer\": 20, "
	"\"selvvurdering\": 6, \"fortsaet\": \"ja\"}', NULL, NULL, NULL),\n"
	" ('uddannelse-til-job', '{S}', 'task', 'opfoelgning-6', NULL, 'TOV', false,\n"
	"  'Opfølgning 6 måneder efter start i job eller uddannelse', 'OPF',\n"
	"  332, 346, 340, NULL, '{\"i_job_eller_uddannelse\": true, \"timer\": 25, "
	"\"selvvurdering\": 7, \"fortsaet\": \"ja\"}', NULL, NULL, NULL),\n"
	" ('uddannelse-til-job', '{S}', 'task', 'opfoelgning-12', NULL, 'TOV', false,\n"
	"  'Opfølgning 12 måneder efter start i job eller uddannelse', 'OPF',\n"
	"  515, 529, 525, NULL, '{\"i_job_eller_uddannelse\": true, \"timer\": 30, "
	"\"selvvurdering\": 8, \"fortsaet\": \"nej\"}', 'afsluttet', 'i-job', NULL),\n"
	" ('uddannelse-til-job', '{L}', 'timer', 'opfoelgning-3', 'opfoelgning', NULL, false, "
	"NULL, NULL,\n"
	"  330, 421, NULL, NULL, NULL, NULL, NULL, '{\"maaneder\": 3}'),\n"
	" ('uddannelse-til-job', '{L}', 'timer', 'opfoelgning-6', 'opfoelgning', NULL, false, "
	"NULL, NULL,\n"
	"  330, 512, NULL, NULL, NULL, NULL, NULL, '{\"maaneder\": 6}'),\n"
	" ('uddannelse-til-job', '{L}', 'timer', 'opfoelgning-12', 'opfoelgning', NULL, false, "
	"NULL, NULL,\n"
	"  330, 695, NULL, NULL, NULL, NULL, NULL, '{\"maaneder\": 12}'),\n"
	" ('uddannelse-til-job', '{L}', 'task', 'opfoelgning-3', NULL, 'TOV', false,\n"
	"  'Opfølgning 3 måneder efter start i job eller uddannelse', 'OPF',\n"
	"  421, 435, 430, NULL, '{\"i_job_eller_uddannelse\": true, \"timer\": 15, "
	"\"selvvurdering\": 5, \"fortsaet\": \"ja\"}', NULL, NULL, NULL),\n"
	" ('uddannelse-til-job', '{L}', 'task', 'opfoelgning-6', NULL, 'TOV', false,\n"
	"  'Opfølgning 6 måneder efter start i job eller uddannelse', 'OPF',\n"
	"  512, 526, 520, NULL, '{\"i_job_eller_uddannelse\": true, \"timer\": 20, "
	"\"selvvurdering\": 6, \"fortsaet\": \"ja\"}', NULL, NULL, NULL),\n"
	" ('uddannelse-til-job', '{L}', 'task', 'opfoelgning-12', NULL, 'TOV', false,\n"
	"  'Opfølgning 12 måneder efter start i job eller uddannelse', 'OPF',\n"
	"  695, 709, 705, NULL, '{\"i_job_eller_uddannelse\": true, \"timer\": 25, "
	"\"selvvurdering\": 7, \"fortsaet\": \"nej\"}', 'afsluttet', 'i-job', NULL)\n"
	") AS t (wf, vars, kind, key, event, dept, assign, title, body, c, due, d, x, outcome, "
	"phase,\n"
	"        closes, payload)";

static const char cases_sql[] =
	"CREATE TEMP TABLE dd_case ON COMMIT DROP AS\n"
	"WITH wf AS (\n"
	"    SELECT DISTINCT ON (name) name, version, definition->'phases'->0->>'name' AS "
	"first_phase\n"
	"      FROM workflow WHERE name IN ('barn-til-voksen', 'uddannelse-til-job')\n"
	"     ORDER BY name, version DESC),\n"
	"ci AS (\n"
	"    SELECT c.id, c.birth_date, (c.attributes->>'demo_nr')::int AS nr,\n"
	"           abs(hashint4((c.attributes->>'demo_nr')::int + 5555555)) % 1000 AS h,\n"
	"           c.attributes ? 'funktionsnedsaettelse' AS fn, c.attributes ? 'anbragt' AS "
	"anbragt,\n"
	"           c.attributes ? 'stu_sidste_aar' AS stu\n"
	"      FROM citizen c WHERE c.attributes ? 'demo_nr'),\n"
	"btv AS (\n"
	"    SELECT ci.id AS citizen_id, 'barn-til-voksen'::text AS wf,\n"
	"           (ci.birth_date + interval '16 years')::date AS start,\n"
	"           CASE WHEN ci.nr % 50 = 7 THEN\n"
	"                    CASE ((ci.nr / 50) / 22) % 6 WHEN 1 THEN 'A' WHEN 3 THEN 'NA' WHEN 5 "
	"THEN 'N'\n"
	"                                                 ELSE 'S' END\n"
	"                WHEN ci.anbragt THEN CASE WHEN ci.h % 100 < 10 THEN 'NA' ELSE 'A' END\n"
	"                WHEN ci.h % 100 < 6 THEN 'N' ELSE 'S' END AS variant,\n"
	"           ci.h,\n"
	"           (ARRAY['hanne.kjaer', 'mads.bach', 'camilla.juhl', 'rasmus.friis',\n"
	"                  'louise.berg'])[ci.h % 5 + 1] AS tov_a, 'born-familie' AS dept_a,\n"
	"           (ARRAY['nadia.ali', 'jesper.krogh', 'line.dam'])[ci.h % 3 + 1] AS tov_b,\n"
	"           'voksenhandicap' AS dept_b, 560 AS switch\n"
	"      FROM ci\n"
	"     WHERE ci.fn AND ci.birth_date + interval '16 years' < date_trunc('month', "
	"current_date)),\n"
	"utj AS (\n"
	"    SELECT ci.id, 'uddannelse-til-job',\n"
	"           current_date - CASE WHEN ci.nr % 50 = 17\n"
	"                               THEN (ARRAY[10, 40, 100, 200, 260, 280, 290, 300, 340, "
	"400, 520,\n"
	"                                           600, 710, 800])[(ci.nr / 50) % 14 + 1]\n"
	"                               ELSE ci.h % 730 END,\n"
	"           CASE WHEN ci.nr % 50 = 17 THEN\n"
	"                    CASE WHEN ((ci.nr / 50) / 14) % 3 = 1 THEN 'L'\n"
	"                         WHEN ((ci.nr / 50) / 14) % 3 = 2 AND (ci.nr / 50) % 2 = 0 THEN "
	"'J'\n"
	"                         ELSE 'S' END\n"
	"                WHEN ci.h % 100 < 5 THEN 'J' WHEN ci.h % 100 < 25 THEN 'L' ELSE 'S' END,\n"
	"           ci.h,\n"
	"           (ARRAY['maja.storm', 'ali.yilmaz', 'eva.bruun'])[ci.h % 3 + 1], "
	"'ungeindsats',\n"
	"           (ARRAY['sanne.moeller', 'peter.skov', 'tina.holt'])[ci.h % 3 + 1], "
	"'jobcenter', 285\n"
	"      FROM ci WHERE ci.stu),\n"
	"p AS (SELECT * FROM btv UNION ALL SELECT * FROM utj)\n"
	"SELECT p.*, wf.version, wf.first_phase, current_date - p.start AS a,\n"
	"       'sweep:' || p.wf || ':' || p.citizen_id AS start_key, NULL::bigint AS case_id,\n"
	"       cl.day AS close_day, cl.closes AS outcome,\n"
	"       coalesce(ph.phase, wf.first_phase) AS phase\n"
	"  FROM p JOIN wf ON wf.name = p.wf\n"
	"  LEFT JOIN LATERAL (\n"
	"      SELECT t.d AS day, t.closes FROM dd_tpl t\n"
	"       WHERE t.wf = p.wf AND p.variant = ANY (t.vars) AND t.closes IS NOT NULL\n"
	"         AND t.d <= current_date - p.start\n"
	"       ORDER BY t.d LIMIT 1) cl ON true\n"
	"  LEFT JOIN LATERAL (\n"
	"      SELECT t.phase FROM dd_tpl t\n"
	"       WHERE t.wf = p.wf AND p.variant = ANY (t.vars) AND t.phase IS NOT NULL\n"
	"         AND coalesce(t.d, t.due) <= current_date - p.start\n"
	"         AND t.c <= current_date - p.start\n"
	"         AND (t.x IS NULL OR t.x > coalesce(t.d, t.due))\n"
	"         AND (cl.day IS NULL OR coalesce(t.d, t.due) <= cl.day)\n"
	"       ORDER BY coalesce(t.d, t.due) DESC LIMIT 1) ph ON true\n"
	" WHERE NOT EXISTS (SELECT 1 FROM cases x\n"
	"                    WHERE x.start_key = 'sweep:' || p.wf || ':' || p.citizen_id);\n"
	"\n"
	"-- cases, active while their history is written (a closed case takes no events)\n"
	"INSERT INTO cases (citizen_id, workflow_name, workflow_version, phase, tovholder,\n"
	"                   tovholder_department, start_key, revision, started_at)\n"
	"SELECT citizen_id, wf, version, phase,\n"
	"       CASE WHEN a >= switch THEN tov_b ELSE tov_a END,\n"
	"       CASE WHEN a >= switch THEN dept_b ELSE dept_a END,\n"
	"       start_key, 1, start::timestamptz\n"
	"  FROM dd_case ORDER BY start_key;\n"
	"UPDATE dd_case d SET case_id = c.id FROM cases c WHERE c.start_key = d.start_key;\n"
	"\n"
	"-- tasks and handovers the case has had by now\n"
	"CREATE TEMP TABLE dd_task ON COMMIT DROP AS\n"
	"SELECT d.case_id, d.start, d.a, d.close_day, t.*,\n"
	"       CASE WHEN t.dept = 'TOV' THEN CASE WHEN t.c >= d.switch THEN d.dept_b ELSE "
	"d.dept_a END\n"
	"            ELSE t.dept END AS department,\n"
	"       CASE WHEN t.assign THEN CASE WHEN t.c >= d.switch THEN d.tov_b ELSE d.tov_a END "
	"END\n"
	"           AS assignee,\n"
	"       CASE WHEN t.d <= d.a AND (d.close_day IS NULL OR t.d <= d.close_day)\n"
	"                THEN CASE t.kind WHEN 'handover' THEN 'accepted' ELSE 'done' END\n"
	"            WHEN t.x <= d.a OR d.close_day <= d.a THEN 'cancelled'\n"
	"            ELSE 'open' END AS status,\n"
	"       d.dept_a, d.tov_a, d.h, d.birth\n"
	"  FROM (SELECT dc.*, ci.birth_date AS birth FROM dd_case dc JOIN citizen ci ON ci.id = "
	"dc.citizen_id) d\n"
	"  JOIN dd_tpl t ON t.wf = d.wf AND d.variant = ANY (t.vars) AND t.c <= d.a\n"
	"                AND (d.close_day IS NULL OR t.c <= d.close_day)\n"
	" WHERE t.kind IN ('task', 'handover');\n"
	"\n"
	"INSERT INTO task (case_id, kind, key, department_id, from_department, assignee, title, "
	"body,\n"
	"                  handover, due_at, status, outcome, reason, created_at, updated_at, "
	"closed_at,\n"
	"                  revision)\n"
	"SELECT t.case_id, t.kind, t.key, t.department, t.dept_a,\n"
	"       coalesce(t.assignee,\n"
	"                -- a third of the department's open tasks are claimed by someone there\n"
	"                CASE WHEN t.status = 'open' AND t.kind = 'task' AND (t.h + length(t.key)) "
	"% 3 = 0\n"
	"                     THEN (SELECT sd.staff_id FROM staff_department sd\n"
	"                            WHERE sd.department_id = t.department\n"
	"                            ORDER BY sd.is_lead, sd.staff_id LIMIT 1) END),\n"
	"       replace(replace(t.title, '{18}', api_plan_date((t.birth + interval '18 "
	"years')::date)),\n"
	"               '{17.6}', api_plan_date((t.birth + interval '17 years 6 months')::date)),\n"
	"       CASE t.body\n"
	"         WHEN 'TEMA' THEN 'Giv dit bidrag til forberedelsen af overgangen til voksenlivet "
	"under '\n"
	"                          'temaet i titlen. Den unges egne mål og ønsker står på sagen. "
	"Bidraget '\n"
	"                          'skal være klar, så støtten kan begynde, når den unge fylder "
	"18.'\n"
	"         WHEN 'OPF' THEN 'Spørg den unge: er du i job eller uddannelse, hvor mange timer "
	"om ugen, '\n"
	"                         'og hvad synes du selv på en skala fra 1 til 10?'\n"
	"         ELSE t.body END,\n"
	"       CASE WHEN t.kind = 'handover' THEN jsonb_build_object(\n"
	"           'summary', CASE WHEN t.wf = 'barn-til-voksen'\n"
	"                           THEN 'Den unge fylder 18 den '\n"
	"                                || api_plan_date((t.birth + interval '18 years')::date)\n"
	"                                || '; støtten skal kunne begynde den dag (Barnets Lov § "
	"123). '\n"
	"                                || 'Støttebehov ved dialogmødet (FFB): moderat. Samlet "
	"plan: '\n"
	"                                || 'udarbejdet.'\n"
	"                           ELSE 'Forløbet slutter '\n"
	"                                || to_char(t.start + interval '1 year', 'YYYY-MM-DD')\n"
	"                                || '. Valgt skridt: praktik (lokalt tilbud). Mindre "
	"indgribende '\n"
	"                                || 'skridt og hvorfor de ikke var nok: ordinaert-job "
	"(overvejet): '\n"
	"                                || 'Har brug for at prøve arbejdslivet af først.' END,\n"
	"           'goals', CASE WHEN t.wf = 'barn-til-voksen'\n"
	"                         THEN '[\"Jeg vil gerne bo for mig selv (bolig)\"]'::jsonb\n"
	"                         ELSE '[\"Jeg vil gerne arbejde med dyr\"]'::jsonb END,\n"
	"           'questions', CASE WHEN t.wf = 'barn-til-voksen'\n"
	"                             THEN '[\"Hvilken støtte skal være klar, når den unge fylder "
	"18?\", \"Hvem bliver den unges tovholder i Voksenhandicap?\"]'::jsonb\n"
	"                             ELSE '[\"Hvem i jobcentret bliver den unges tovholder?\", "
	"\"Hvilken støtte skal være på plads, når uddannelsen slutter?\"]'::jsonb END,\n"
	"           'from_department', t.dept_a, 'from_tovholder', t.tov_a) END,\n"
	"       (t.start + t.due)::timestamptz,\n"
	"       t.status,\n"
	"       CASE WHEN t.status = 'done' THEN t.outcome END,\n"
	"       CASE WHEN t.status = 'cancelled' THEN\n"
	"                CASE WHEN t.close_day <= t.a THEN 'the case was closed'\n"
	"                     ELSE 'Afgørelsen er truffet' END END,\n"
	"       (t.start + t.c)::timestamptz,\n"
	"       (t.start + least(coalesce(t.d, t.a), t.a))::timestamptz,\n"
	"       CASE WHEN t.status <> 'open' THEN (t.start + least(coalesce(t.d, t.close_day, "
	"t.x),\n"
	"                                                          t.close_day, t.x, "
	"t.a))::timestamptz END,\n"
	"       CASE WHEN t.status = 'open' THEN 0 ELSE 1 END\n"
	"  FROM dd_task t\n"
	" ORDER BY t.case_id, t.c, t.key;\n"
	"\n"
	"-- the events: 'started' (done: the engine must not start the case again), what people "
	"did,\n"
	"-- and the timers (pending while in the future)\n"
	"INSERT INTO event (case_id, type, payload, source, idem_key, due_at, status, attempts,\n"
	"                   created_at, done_at, commands)\n"
	"SELECT d.case_id, 'started', '{}', 'demo-data', 'started', d.start::timestamptz, 'done', "
	"1,\n"
	"       d.start::timestamptz, d.start::timestamptz,\n"
	"       jsonb_build_array(jsonb_build_object('cmd', 'assign_tovholder',\n"
	"                                            'department', d.dept_a))\n"
	"  FROM dd_case d\n"
	"UNION ALL\n"
	"SELECT t.case_id, CASE t.kind WHEN 'handover' THEN 'handover_accepted' ELSE 'task_done' "
	"END,\n"
	"       jsonb_build_object('task', k.id, 'key', t.key, 'department', t.department,\n"
	"                          'kind', t.kind, 'by', coalesce(k.assignee, t.tov_a))\n"
	"       || CASE WHEN t.kind = 'task' THEN jsonb_build_object('outcome', t.outcome)\n"
	"               ELSE '{}' END,\n"
	"       'task', CASE t.kind WHEN 'handover' THEN 'handover_accepted' ELSE 'task_done' END\n"
	"               || ':' || k.id,\n"
	"       (t.start + t.d)::timestamptz, 'done', 1, (t.start + t.d)::timestamptz,\n"
	"       (t.start + t.d)::timestamptz,\n"
	"       CASE WHEN t.phase IS NOT NULL\n"
	"            THEN jsonb_build_array(jsonb_build_object('cmd', 'phase', 'phase', t.phase))\n"
	"            ELSE '[]' END\n"
	"  FROM dd_task t JOIN task k ON k.case_id = t.case_id AND k.key = t.key AND k.kind = "
	"t.kind\n"
	" WHERE t.status IN ('done', 'accepted');\n"
	"INSERT INTO event (case_id, type, payload, source, idem_key, timer_key, due_at, status, "
	"attempts,\n"
	"                   created_at, done_at, commands)\n"
	"SELECT d.case_id, t.event, t.payload, 'timer', 'timer:demo-data:' || t.key, t.key,\n"
	"       (d.start + t.due)::timestamptz, s.status, CASE WHEN s.status = 'done' THEN 1 ELSE "
	"0 END,\n"
	"       (d.start + t.c)::timestamptz,\n"
	"       CASE WHEN s.status <> 'pending' THEN (d.start + least(t.due, t.x, d.close_day, "
	"d.a))::timestamptz END,\n"
	"       CASE WHEN s.status = 'done' AND t.phase IS NOT NULL\n"
	"            THEN jsonb_build_array(jsonb_build_object('cmd', 'phase', 'phase', t.phase)) "
	"END\n"
	"  FROM dd_case d\n"
	"  JOIN dd_tpl t ON t.wf = d.wf AND d.variant = ANY (t.vars) AND t.kind = 'timer'\n"
	"               AND t.c <= d.a AND (d.close_day IS NULL OR t.c <= d.close_day)\n"
	"  CROSS JOIN LATERAL (\n"
	"      SELECT CASE WHEN t.x <= least(t.due, d.a) THEN 'cancelled'\n"
	"                  WHEN t.due <= d.a AND (d.close_day IS NULL OR t.due <= d.close_day) "
	"THEN 'done'\n"
	"                  WHEN d.close_day <= d.a THEN 'cancelled'\n"
	"                  ELSE 'pending' END AS status) s;\n"
	"\n"
	"-- the tovholder at the start, and the new one after a handover was accepted\n"
	"INSERT INTO tovholder_history (case_id, from_staff, to_staff, department_id, reason, "
	"by_whom, at)\n"
	"SELECT d.case_id, NULL, d.tov_a, d.dept_a,\n"
	"       CASE d.wf WHEN 'barn-til-voksen'\n"
	"            THEN 'Forberedelsen af overgangen til voksenlivet begynder (Barnets Lov § "
	"122)'\n"
	"            ELSE 'Ungeindsatsen giver den unge én kontaktperson på vejen fra uddannelse "
	"mod job (lov om kommunal indsats for unge under 25 år)' END,\n"
	"       'workflow ' || d.wf || ' v' || d.version, d.start::timestamptz\n"
	"  FROM dd_case d\n"
	"UNION ALL\n"
	"SELECT d.case_id, d.tov_a, d.tov_b, d.dept_b,\n"
	"       CASE d.wf WHEN 'barn-til-voksen'\n"
	"            THEN 'Voksenhandicap har taget imod overdragelsen (Barnets Lov § 123); "
	"tovholderen skifter fra ' || d.tov_a || ' i ' || d.dept_a\n"
	"            ELSE 'Jobcentret har taget imod overdragelsen fra ungeindsatsen' END,\n"
	"       'workflow ' || d.wf || ' v' || d.version, (d.start + d.switch)::timestamptz\n"
	"  FROM dd_case d WHERE d.a >= d.switch AND (d.close_day IS NULL OR d.close_day >= "
	"d.switch)\n"
	" ORDER BY 1, 7;\n"
	"\n"
	"-- the young person's own goals, from the first talk on\n"
	"CREATE TEMP TABLE dd_goal ON COMMIT DROP AS\n"
	"SELECT d.case_id, d.wf, d.start, d.a, d.close_day, d.variant, g.key, g.text, g.theme,\n"
	"       g.maaltype, g.forventet_niveau, g.ffb_tema\n"
	"  FROM dd_case d\n"
	" CROSS JOIN LATERAL (\n"
	"     SELECT 'maal-1' AS key,\n"
	"            (ARRAY['Jeg vil gerne bo for mig selv', 'Jeg vil tage en uddannelse, hvor jeg "
	"kan arbejde med dyr',\n"
	"                   'Jeg vil have et fritidsjob', 'Jeg vil kunne tage bussen alene',\n"
	"                   'Jeg vil have flere venner'])[d.h % 5 + 1] AS text,\n"
	"            (ARRAY['bolig', 'uddannelse', 'beskaeftigelse', 'andet', "
	"'sociale-forhold'])[d.h % 5 + 1] AS theme,\n"
	"            (ARRAY['udvikle', 'udvikle', 'udvikle', 'udvikle', 'fastholde'])[d.h % 5 + 1] "
	"AS maaltype,\n"
	"            (ARRAY['let', 'ingen', 'let', 'let', 'moderat'])[d.h % 5 + 1] AS "
	"forventet_niveau,\n"
	"            (ARRAY['Varetage bolig', 'Varetage uddannelse', 'Varetage beskæftigelse', "
	"NULL,\n"
	"                   'Deltage i sociale fællesskaber og fritidsaktiviteter'])[d.h % 5 + 1] "
	"AS ffb_tema\n"
	"      WHERE d.wf = 'barn-til-voksen'\n"
	"     UNION ALL\n"
	"     SELECT 'maal-2', 'Jeg vil selv bestemme over mine penge', 'beskaeftigelse', "
	"'udvikle',\n"
	"            'let', 'Varetage økonomi'\n"
	"      WHERE d.wf = 'barn-til-voksen' AND d.h % 2 = 0\n"
	"     UNION ALL\n"
	"     SELECT 'eget-maal', 'Jeg vil gerne arbejde med dyr', 'beskaeftigelse', 'udvikle', "
	"'let',\n"
	"            'Varetage beskæftigelse'\n"
	"      WHERE d.wf = 'uddannelse-til-job') g\n"
	" WHERE d.a >= 30 AND d.variant IN ('S', 'A', 'L');\n"
	"INSERT INTO goal (case_id, key, text, theme, maaltype, forventet_niveau, ffb_tema, "
	"created_at,\n"
	"                  updated_at)\n"
	"SELECT case_id, key, text, theme, maaltype, forventet_niveau, ffb_tema,\n"
	"       (start + 30)::timestamptz, (start + 30)::timestamptz\n"
	"  FROM dd_goal ORDER BY case_id, key;\n"
	"\n"
	"-- measures of effect: the baseline at the first talk, and each follow-up\n"
	"INSERT INTO measure (case_id, goal_key, instrument, kind, value_num, value_text, "
	"measured_at,\n"
	"                     recorded_at)\n"
	"SELECT g.case_id, g.key, m.instrument, m.kind, m.num, m.txt, (g.start + "
	"m.day)::timestamptz,\n"
	"       (g.start + m.day)::timestamptz\n"
	"  FROM dd_goal g\n"
	"  JOIN (VALUES\n"
	"      ('barn-til-voksen', 30, 'ffb-stoettebehov', 'baseline', NULL::float8, 'moderat'),\n"
	"      ('barn-til-voksen', 670, 'ffb-stoettebehov', 'followup', NULL, 'let'),\n"
	"      ('barn-til-voksen', 670, 'maalopfyldelse', 'followup', NULL, 'delvist opnaaet'),\n"
	"      ('barn-til-voksen', 950, 'ffb-stoettebehov', 'followup', NULL, 'let'),\n"
	"      ('barn-til-voksen', 950, 'maalopfyldelse', 'followup', NULL, 'opnaaet'),\n"
	"      ('uddannelse-til-job', 30, 'i-job-eller-uddannelse', 'baseline', NULL, 'nej'),\n"
	"      ('uddannelse-til-job', 30, 'timer-pr-uge', 'baseline', 0, NULL),\n"
	"      ('uddannelse-til-job', 30, 'selvvurdering-1-10', 'baseline', 4, NULL)) AS m (wf, "
	"day, instrument, kind, num, txt)\n"
	"    ON m.wf = g.wf AND m.day <= g.a\n"
	"UNION ALL\n"
	"SELECT t.case_id, 'eget-maal', m.instrument, 'followup', m.num, m.txt,\n"
	"       (t.start + t.d)::timestamptz, (t.start + t.d)::timestamptz\n"
	"  FROM dd_task t\n"
	" CROSS JOIN LATERAL (VALUES\n"
	"      ('i-job-eller-uddannelse', NULL::float8, 'ja'),\n"
	"      ('timer-pr-uge', (t.outcome->>'timer')::float8, NULL),\n"
	"      ('selvvurdering-1-10', (t.outcome->>'selvvurdering')::float8, NULL)) AS m "
	"(instrument, num, txt)\n"
	" WHERE t.wf = 'uddannelse-til-job' AND t.key LIKE 'opfoelgning-%' AND t.status = 'done';\n"
	"\n"
	"-- what the workflow keeps about each case, then the closed ones closed\n"
	"UPDATE cases c SET state = s.state, status = CASE WHEN d.close_day <= d.a THEN 'closed' "
	"ELSE 'active' END,\n"
	"       outcome = CASE WHEN d.close_day <= d.a THEN d.outcome END,\n"
	"       closed_at = CASE WHEN d.close_day <= d.a THEN (d.start + d.close_day)::timestamptz "
	"END,\n"
	"       updated_at = now()\n"
	"  FROM dd_case d\n"
	" CROSS JOIN LATERAL (\n"
	"     SELECT jsonb_strip_nulls(CASE d.wf WHEN 'barn-til-voksen' THEN jsonb_build_object(\n"
	"         'frist_111', CASE WHEN d.variant IN ('A', 'NA')\n"
	"                           THEN to_char(ci.birth_date + interval '17 years 6 months', "
	"'YYYY-MM-DD') END,\n"
	"         'afgoerelse_111', (SELECT t.outcome->>'afgoerelse' FROM dd_task t\n"
	"                             WHERE t.case_id = d.case_id AND t.key = 'afgoerelse-111' AND "
	"t.status = 'done'),\n"
	"         'afslaaet', CASE WHEN d.variant IN ('N', 'NA') AND d.a >= 30 THEN 'Den unge vil "
	"klare sig selv' END,\n"
	"         'maal', (SELECT jsonb_agg(jsonb_build_object('key', g.key, 'tekst', g.text, "
	"'tema', g.theme) ORDER BY g.key)\n"
	"                    FROM dd_goal g WHERE g.case_id = d.case_id),\n"
	"         'stoettebehov', CASE WHEN d.variant IN ('S', 'A') AND d.a >= 30 THEN 'moderat' "
	"END,\n"
	"         'oensker', CASE WHEN d.variant IN ('S', 'A') AND d.a >= 30 THEN 'At bo tæt på "
	"familien og have noget at stå op til' END,\n"
	"         'udestaaende', CASE WHEN d.variant IN ('S', 'A') AND d.a >= 30 THEN\n"
	"                            (SELECT coalesce(jsonb_agg(t.key ORDER BY t.key), '[]') FROM "
	"dd_task t\n"
	"                              WHERE t.case_id = d.case_id AND t.key LIKE 'tema-%' AND "
	"t.status = 'open') END,\n"
	"         'tema_svar', (SELECT jsonb_object_agg(x.tema, x.svar) FROM (\n"
	"                          SELECT split_part(substr(t.key, 6), '-' || t.department, 1) AS "
	"tema,\n"
	"                                 jsonb_agg(t.department || ': ' || (t.outcome->>'notat') "
	"ORDER BY t.d) AS svar\n"
	"                            FROM dd_task t\n"
	"                           WHERE t.case_id = d.case_id AND t.key LIKE 'tema-%' AND "
	"t.status = 'done'\n"
	"                           GROUP BY 1) x),\n"
	"         'tovholder_opgaver', (SELECT jsonb_build_object('plan', jsonb_build_object(\n"
	"                                   'title', t.title, 'body', t.body,\n"
	"                                   'due', extract(epoch FROM (t.start + "
	"t.due)::timestamptz)::bigint))\n"
	"                                 FROM dd_task t\n"
	"                                WHERE t.case_id = d.case_id AND t.key = 'plan' AND "
	"t.status = 'open'),\n"
	"         'plan', (SELECT true FROM dd_task t\n"
	"                   WHERE t.case_id = d.case_id AND t.key = 'plan' AND t.status = "
	"'done'),\n"
	"         'overdraget', CASE WHEN d.variant IN ('S', 'A') AND d.a >= 560\n"
	"                            THEN to_char(d.start + 560, 'YYYY-MM-DD') END,\n"
	"         'afgoerelse_frist', CASE WHEN d.variant IN ('S', 'A') AND d.a >= 560\n"
	"                                  THEN to_char(d.start + 669, 'YYYY-MM-DD') END,\n"
	"         'afgoerelse_voksen', (SELECT t.outcome->>'afgoerelse' FROM dd_task t\n"
	"                                WHERE t.case_id = d.case_id AND t.key = "
	"'afgoerelse-voksen' AND t.status = 'done'))\n"
	"       ELSE jsonb_build_object(\n"
	"         'vej', 'stu', 'slut', to_char(d.start + interval '1 year', 'YYYY-MM-DD'),\n"
	"         'maal', CASE WHEN d.variant IN ('S', 'L') AND d.a >= 30 THEN 'Jeg vil gerne "
	"arbejde med dyr' END,\n"
	"         'jobcenter_planlaegning', CASE WHEN d.a >= 55 AND d.variant <> 'J' THEN "
	"to_char(d.start + 55, 'YYYY-MM-DD') END,\n"
	"         'overvejelser', CASE WHEN d.variant IN ('S', 'L') AND d.a >= 50 THEN "
	"jsonb_build_array(jsonb_build_object(\n"
	"                             'niveau', 1, 'trin', 'ordinaert-job', 'maade', 'overvejet',\n"
	"                             'hvorfor', 'Har brug for at prøve arbejdslivet af først',\n"
	"                             'dato', to_char(d.start + 50, 'YYYY-MM-DD'))) END,\n"
	"         'tilbud', CASE WHEN d.variant IN ('S', 'L') AND d.a >= 50 THEN "
	"jsonb_build_array(jsonb_build_object(\n"
	"                       'trin', 'praktik', 'tilbud', 'Praktik i dyrehandel i byen', "
	"'lokal', true,\n"
	"                       'dato', to_char(d.start + 50, 'YYYY-MM-DD'))) END,\n"
	"         'start', (SELECT jsonb_build_object('i', 'ordinaert-job', 'trin', 'praktik',\n"
	"                                             'dato', to_char(t.start + t.d, "
	"'YYYY-MM-DD'), 'timer', 20)\n"
	"                     FROM dd_task t WHERE t.case_id = d.case_id AND t.key = 'praktik' AND "
	"t.status = 'done'),\n"
	"         'overdraget', CASE WHEN d.a >= 285 AND d.variant <> 'J' THEN true END)\n"
	"       || coalesce((SELECT jsonb_object_agg(replace(t.key, '-', '_'), "
	"jsonb_build_object(\n"
	"                        'dato', to_char(t.start + t.d, 'YYYY-MM-DD'), "
	"'i_job_eller_uddannelse', true,\n"
	"                        'timer', (t.outcome->>'timer')::int, 'selvvurdering', "
	"(t.outcome->>'selvvurdering')::int))\n"
	"                      FROM dd_task t WHERE t.case_id = d.case_id AND t.key LIKE "
	"'opfoelgning-%'\n"
	"                       AND t.status = 'done'), '{}')\n"
	"       END) AS state\n"
	"       FROM citizen ci WHERE ci.id = d.citizen_id) s\n"
	" WHERE c.id = d.case_id;";

static int usage(void)
{
	fprintf(stderr,
		"usage: overgang demo-data [--citizens N] [--tokens DIR] [--workflows DIR]\n"
		"  --citizens N     made-up citizens (default %d); more on a later run adds the\n"
		"                   missing ones\n"
		"  --tokens DIR     API tokens for one person in each role, one file per role in\n"
		"                   DIR (mode 600); a token that still works is kept\n"
		"  --workflows DIR  deploy DIR/barn-til-voksen.lua and DIR/uddannelse-til-job.lua\n"
		"                   first (without it they must be deployed already)\n"
		"Made up, never real: CPR numbers have the day of the month plus 60 (61-91), "
		"which\n"
		"the CPR office never issues; they are stored only with [api] cpr_key_file.\n",
		DEFAULT_CITIZENS);
	return 2;
}

/* Runs SQL of several statements without parameters; false after saying why. */
static bool run_script(PGconn *conn, const char *what, const char *sql)
{
	PGresult *res = PQexec(conn, sql);
	ExecStatusType st = PQresultStatus(res);
	bool ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
	if (!ok) {
		const char *msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
		fprintf(stderr, "overgang demo-data: %s: %s\n", what,
			msg ? msg : PQerrorMessage(conn));
	}
	PQclear(res);
	return ok;
}

/* Deploys DIR/NAME.lua unless that version is deployed already, as `overgang workflow
 * deploy` does (the same check and record), the departments being in place. */
static bool deploy(PGconn *conn, const struct cfg *cfg, const char *dir, const char *name)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/%s.lua", dir, name);
	size_t len;
	char *source = cli_read_file(path, &len);
	if (source == NULL)
		return false;
	struct core_check check = {0};
	struct lwf_workflow *wf = NULL;
	struct lwf_budget budget = cli_budget(cfg);
	bool ok = false;
	char *definition = NULL;
	if (core_deploy_check(path, source, len, &budget, NULL, &check, &wf) != 0 || wf == NULL ||
	    check.errors > 0) {
		fprintf(stderr,
			"overgang demo-data: %s fails check (see overgang check %s); nothing was "
			"deployed\n",
			path, path);
		goto out;
	}
	const struct lwf_def *def = lwf_def(wf);
	json_t *dj = NULL;
	char checksum[CORE_CHECKSUM_LEN + 1], version[16];
	if (core_deploy_record(def, source, len, &dj, checksum) == 0)
		definition = json_dumps(dj, JSON_COMPACT);
	json_decref(dj);
	if (definition == NULL) {
		fprintf(stderr, "overgang: out of memory\n");
		goto out;
	}
	snprintf(version, sizeof version, "%d", def->version);
	const char *params[] = {def->name, version,    def->title, source,
				checksum,  definition, "demo-data"};
	PGresult *res = cli_query(conn, "demo-data",
				  "INSERT INTO workflow (name, version, title, source, checksum,"
				  "                      definition, deployed_by)"
				  " VALUES ($1, $2, $3, $4, $5, $6, $7)"
				  " ON CONFLICT (name, version) DO NOTHING RETURNING 1",
				  7, params);
	if (res != NULL) {
		if (PQntuples(res) == 1)
			printf("deployed %s version %d\n", def->name, def->version);
		ok = true;
	}
	PQclear(res);
out:
	core_check_clear(&check);
	lwf_free(wf);
	free(definition);
	free(source);
	return ok;
}

/* CPR numbers for the citizens who have none yet, with the keyed hash of the API. */
static bool store_cpr(PGconn *conn, const struct cfg *cfg, int *added)
{
	unsigned char key[OG_CPR_KEY_LEN];
	char err[256];
	*added = 0;
	if (cfg->api_cpr_key_file == NULL || cfg->api_cpr_key_file[0] == '\0') {
		printf("no [api] cpr_key_file in the configuration: the citizens get no CPR "
		       "number\n");
		return true;
	}
	if (og_cpr_key_load(cfg->api_cpr_key_file, key, err, sizeof err) != 0) {
		fprintf(stderr, "overgang demo-data: %s\n", err);
		return false;
	}
	PGresult *res = cli_query(conn, "demo-data", cpr_sql, 0, NULL);
	if (res == NULL) {
		sodium_memzero(key, sizeof key);
		return false;
	}
	json_t *doc = json_array();
	for (int i = 0; doc && i < PQntuples(res); i++) {
		char hex[65];
		og_cpr_hash_hex(key, PQgetvalue(res, i, 1), hex);
		if (json_array_append_new(doc, json_pack("{s:s,s:s,s:s}", "id",
							 PQgetvalue(res, i, 0), "hash", hex, "cpr",
							 PQgetvalue(res, i, 1))) != 0) {
			json_decref(doc);
			doc = NULL;
		}
	}
	sodium_memzero(key, sizeof key);
	PQclear(res);
	char *text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
	json_decref(doc);
	if (text == NULL) {
		fprintf(stderr, "overgang: out of memory\n");
		return false;
	}
	const char *params[] = {text};
	res = cli_query(conn, "demo-data",
			"INSERT INTO citizen_cpr (citizen_id, cpr_hash, cpr)"
			" SELECT id::bigint, decode(hash, 'hex'), cpr"
			"   FROM jsonb_to_recordset($1::jsonb) AS x (id text, hash text, cpr text)",
			1, params);
	free(text);
	if (res == NULL)
		return false;
	*added = atoi(PQcmdTuples(res));
	PQclear(res);
	return true;
}

/* One person in each role, and a token for each in DIR/ROLE. */
static const struct {
	const char *role, *staff;
} people[] = {
	{"tovholder", "hanne.kjaer"},    {"worker", "nadia.ali"},  {"lead", "birgit.lund"},
	{"administrator", "niels.ravn"}, {"manager", "anne.kold"}, {"auditor", "bodil.rask"},
};

/* Whether the token in PATH is one of STAFF's as ROLE that still works. */
static bool token_works(PGconn *conn, const char *path, const char *staff, const char *role)
{
	char text[API_TOKEN_TEXT_MAX + 2] = "";
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return false;
	bool read = fgets(text, sizeof text, f) != NULL;
	fclose(f);
	text[strcspn(text, "\r\n")] = '\0';
	char id[API_TOKEN_ID_LEN + 1];
	unsigned char hash[API_TOKEN_HASH_LEN];
	char hex[2 * API_TOKEN_HASH_LEN + 1];
	bool parsed = read && api_token_parse(text, id, hash);
	sodium_memzero(text, sizeof text);
	if (!parsed)
		return false;
	sodium_bin2hex(hex, sizeof hex, hash, sizeof hash);
	const char *params[] = {id, staff, role, hex};
	PGresult *res =
		cli_query(conn, "demo-data",
			  "SELECT 1 FROM api_token WHERE id = $1 AND staff_id = $2"
			  "   AND role = $3 AND hash = decode($4, 'hex') AND revoked_at IS NULL",
			  4, params);
	bool ok = res && PQntuples(res) == 1;
	PQclear(res);
	return ok;
}

static bool make_tokens(PGconn *conn, const char *dir)
{
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		fprintf(stderr, "overgang demo-data: cannot make %s: %s\n", dir, strerror(errno));
		return false;
	}
	printf("API tokens (the file is the token; give it as 'Authorization: Bearer ...'):\n");
	for (size_t i = 0; i < sizeof people / sizeof people[0]; i++) {
		char path[4096];
		snprintf(path, sizeof path, "%s/%s", dir, people[i].role);
		bool kept = token_works(conn, path, people[i].staff, people[i].role);
		if (!kept) {
			char text[API_TOKEN_TEXT_MAX], id[API_TOKEN_ID_LEN + 1];
			unsigned char hash[API_TOKEN_HASH_LEN];
			char hex[2 * API_TOKEN_HASH_LEN + 1];
			if (api_token_generate(text, id, hash) != 0) {
				fprintf(stderr, "overgang demo-data: libsodium cannot start\n");
				return false;
			}
			sodium_bin2hex(hex, sizeof hex, hash, sizeof hash);
			/* the demo's earlier tokens for this person and role stop working */
			const char *params[] = {id, people[i].staff, people[i].role, hex,
						cli_operator()};
			PGresult *res = cli_query(
				conn, "demo-data",
				"WITH old AS (UPDATE api_token SET revoked_at = now()"
				"              WHERE staff_id = $2 AND role = $3 AND label = "
				"'demo-data'"
				"                AND revoked_at IS NULL RETURNING 1)"
				" INSERT INTO api_token (id, staff_id, role, hash, label, "
				"created_by)"
				" VALUES ($1, $2, $3, decode($4, 'hex'), 'demo-data', $5)",
				5, params);
			if (res == NULL) {
				sodium_memzero(text, sizeof text);
				return false;
			}
			PQclear(res);
			int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
			bool written = fd >= 0 && fchmod(fd, 0600) == 0 &&
				       write(fd, text, strlen(text)) == (ssize_t)strlen(text) &&
				       write(fd, "\n", 1) == 1;
			if (fd >= 0 && close(fd) != 0)
				written = false;
			sodium_memzero(text, sizeof text);
			if (!written) {
				fprintf(stderr, "overgang demo-data: cannot write %s: %s\n", path,
					strerror(errno));
				return false;
			}
		}
		printf("  %-13s %-12s %s%s\n", people[i].role, people[i].staff, path,
		       kept ? " (kept)" : "");
	}
	return true;
}

static bool summary(PGconn *conn)
{
	PGresult *res = cli_query(
		conn, "demo-data",
		"SELECT c.workflow_name, c.phase, count(*),"
		"       (SELECT count(*) FROM task t WHERE t.case_id = ANY (array_agg(c.id))"
		"           AND t.status IN ('open', 'claimed'))"
		"  FROM cases c JOIN citizen ci ON ci.id = c.citizen_id AND ci.attributes ? "
		"'demo_nr'"
		" GROUP BY 1, 2 ORDER BY 1, min(c.started_at) DESC",
		0, NULL);
	if (res == NULL)
		return false;
	printf("cases of the made-up citizens (open tasks and handovers):\n");
	for (int i = 0; i < PQntuples(res); i++)
		printf("  %-20s %-14s %5s  (%s open)\n", PQgetvalue(res, i, 0),
		       PQgetvalue(res, i, 1), PQgetvalue(res, i, 2), PQgetvalue(res, i, 3));
	PQclear(res);
	return true;
}

static int exec_demo_data(const struct cfg *cfg, int argc, char **argv)
{
	long citizens = DEFAULT_CITIZENS;
	const char *tokens = NULL, *workflows = NULL;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--citizens") == 0 && i + 1 < argc) {
			char *end;
			errno = 0;
			citizens = strtol(argv[++i], &end, 10);
			if (errno || *end || end == argv[i] || citizens < 0 ||
			    citizens > MAX_CITIZENS) {
				fprintf(stderr,
					"overgang demo-data: --citizens takes a number from 0 to "
					"%d\n",
					MAX_CITIZENS);
				return 2;
			}
		} else if (strcmp(argv[i], "--tokens") == 0 && i + 1 < argc) {
			tokens = argv[++i];
		} else if (strcmp(argv[i], "--workflows") == 0 && i + 1 < argc) {
			workflows = argv[++i];
		} else {
			return usage();
		}
	}
	PGconn *conn = cli_connect(cfg);
	if (conn == NULL)
		return 1;
	int rc = 1, cprs = 0;
	char n[24];
	snprintf(n, sizeof n, "%ld", citizens);
	const char *params[] = {n};
	PGresult *res = NULL;
	if (!run_script(conn, "begin", "BEGIN") ||
	    (res = cli_query(conn, "demo-data", directory_sql, 0, NULL)) == NULL)
		goto out;
	printf("departments added: %s, staff added: %s\n", PQgetvalue(res, 0, 0),
	       PQgetvalue(res, 0, 1));
	PQclear(res);
	if (workflows && (!deploy(conn, cfg, workflows, "barn-til-voksen") ||
			  !deploy(conn, cfg, workflows, "uddannelse-til-job")))
		goto out;
	res = cli_query(conn, "demo-data",
			"SELECT string_agg(w, ', ') FROM unnest(ARRAY['barn-til-voksen',"
			" 'uddannelse-til-job']) AS w"
			" WHERE NOT EXISTS (SELECT 1 FROM workflow WHERE name = w)",
			0, NULL);
	if (res == NULL)
		goto out;
	if (!PQgetisnull(res, 0, 0)) {
		fprintf(stderr,
			"overgang demo-data: the shipped workflows must be deployed first (%s is "
			"not): overgang workflow deploy workflows/NAME.lua, or give --workflows "
			"DIR\n",
			PQgetvalue(res, 0, 0));
		goto out;
	}
	PQclear(res);
	if ((res = cli_query(conn, "demo-data", citizens_sql, 1, params)) == NULL)
		goto out;
	printf("citizens added: %d\n", PQntuples(res));
	PQclear(res);
	res = NULL;
	if (!store_cpr(conn, cfg, &cprs))
		goto out;
	if (cprs > 0)
		printf("synthetic CPR numbers added: %d (day of the month + 60)\n", cprs);
	if (!run_script(conn, "the cases' timelines", template_sql) ||
	    !run_script(conn, "the cases", cases_sql) || !run_script(conn, "commit", "COMMIT"))
		goto out;
	if (!summary(conn) || (tokens && !make_tokens(conn, tokens)))
		goto out;
	rc = 0;
out:
	PQclear(res);
	PQfinish(conn);
	return rc;
}

const struct cli_cmd cmd_demo_data = {
	"demo-data", "[--citizens N] [--tokens DIR] [--workflows DIR]",
	"add a synthetic municipality for the demo (made-up citizens and cases)", exec_demo_data};
