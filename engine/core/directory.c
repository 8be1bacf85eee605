#include "core/directory.h"

#include <stdlib.h>
#include <string.h>

struct staff {
	char *id;
	char *status;
	int active_cases;
	char *department; /* led, else the first by id */
	bool leads;
};

struct member {
	char *staff;
	char *department;
	bool lead;
};

struct core_directory {
	char **departments;
	size_t ndepartments, cap_departments;
	struct staff *staff;
	size_t nstaff, cap_staff;
	struct member *members;
	size_t nmembers, cap_members;
	struct core_instruments *instruments;
};

static int grow(void **arr, size_t *cap, size_t n, size_t size)
{
	if (n < *cap)
		return 0;
	size_t c = *cap ? *cap * 2 : 16;
	void *p = realloc(*arr, c * size);
	if (p == NULL)
		return -1;
	*arr = p;
	*cap = c;
	return 0;
}

struct core_directory *core_dir_new(void) { return calloc(1, sizeof(struct core_directory)); }

void core_dir_free(struct core_directory *dir)
{
	if (dir == NULL)
		return;
	for (size_t i = 0; i < dir->ndepartments; i++)
		free(dir->departments[i]);
	for (size_t i = 0; i < dir->nstaff; i++) {
		free(dir->staff[i].id);
		free(dir->staff[i].status);
	}
	for (size_t i = 0; i < dir->nmembers; i++) {
		free(dir->members[i].staff);
		free(dir->members[i].department);
	}
	free(dir->departments);
	free(dir->staff);
	free(dir->members);
	core_instruments_free(dir->instruments);
	free(dir);
}

void core_dir_set_instruments(struct core_directory *dir, struct core_instruments *reg)
{
	core_instruments_free(dir->instruments);
	dir->instruments = reg;
}

const struct core_instruments *core_dir_instruments(const struct core_directory *dir)
{
	return dir->instruments;
}

int core_dir_add_department(struct core_directory *dir, const char *id)
{
	if (grow((void **)&dir->departments, &dir->cap_departments, dir->ndepartments,
		 sizeof(char *)) != 0)
		return -1;
	char *copy = strdup(id);
	if (copy == NULL)
		return -1;
	dir->departments[dir->ndepartments++] = copy;
	return 0;
}

int core_dir_add_staff(struct core_directory *dir, const char *id, const char *status,
		       int active_cases)
{
	if (grow((void **)&dir->staff, &dir->cap_staff, dir->nstaff, sizeof(struct staff)) != 0)
		return -1;
	struct staff s = {strdup(id), strdup(status), active_cases, NULL, false};
	if (s.id == NULL || s.status == NULL) {
		free(s.id);
		free(s.status);
		return -1;
	}
	dir->staff[dir->nstaff++] = s;
	return 0;
}

int core_dir_add_member(struct core_directory *dir, const char *staff, const char *department,
			bool lead)
{
	if (grow((void **)&dir->members, &dir->cap_members, dir->nmembers, sizeof(struct member)) !=
	    0)
		return -1;
	struct member m = {strdup(staff), strdup(department), lead};
	if (m.staff == NULL || m.department == NULL) {
		free(m.staff);
		free(m.department);
		return -1;
	}
	dir->members[dir->nmembers++] = m;
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int cmp_staff(const void *a, const void *b)
{
	return strcmp(((const struct staff *)a)->id, ((const struct staff *)b)->id);
}

/* Members sorted by department, then staff id: a department's members are one run. */
static int cmp_member(const void *a, const void *b)
{
	const struct member *x = a, *y = b;
	int c = strcmp(x->department, y->department);
	return c ? c : strcmp(x->staff, y->staff);
}

static struct staff *find_staff(const struct core_directory *dir, const char *id)
{
	struct staff key = {.id = (char *)id};
	return bsearch(&key, dir->staff, dir->nstaff, sizeof *dir->staff, cmp_staff);
}

void core_dir_seal(struct core_directory *dir)
{
	if (dir->ndepartments)
		qsort(dir->departments, dir->ndepartments, sizeof(char *), cmp_str);
	if (dir->nstaff)
		qsort(dir->staff, dir->nstaff, sizeof *dir->staff, cmp_staff);
	if (dir->nmembers)
		qsort(dir->members, dir->nmembers, sizeof *dir->members, cmp_member);
	for (size_t i = 0; i < dir->nmembers; i++) {
		struct member *m = &dir->members[i];
		struct staff *s = find_staff(dir, m->staff);
		if (s == NULL)
			continue;
		bool better = s->department == NULL || (m->lead && !s->leads) ||
			      (m->lead == s->leads && strcmp(m->department, s->department) < 0);
		if (better) {
			s->department = m->department;
			s->leads = m->lead;
		}
	}
}

bool core_dir_department_exists(const struct core_directory *dir, const char *id)
{
	return dir->ndepartments &&
	       bsearch(&id, dir->departments, dir->ndepartments, sizeof(char *), cmp_str) != NULL;
}

const char *core_dir_staff_status(const struct core_directory *dir, const char *id)
{
	const struct staff *s = find_staff(dir, id);
	return s ? s->status : NULL;
}

const char *core_dir_staff_department(const struct core_directory *dir, const char *id)
{
	const struct staff *s = find_staff(dir, id);
	return s ? s->department : NULL;
}

const char *core_dir_pick(const struct core_directory *dir, const char *department)
{
	const struct staff *best = NULL;
	for (size_t i = 0; i < dir->nmembers; i++) {
		const struct member *m = &dir->members[i];
		if (strcmp(m->department, department) != 0)
			continue;
		const struct staff *s = find_staff(dir, m->staff);
		if (s == NULL || strcmp(s->status, "active") != 0)
			continue;
		if (best == NULL || s->active_cases < best->active_cases)
			best = s; /* members run in id order: ties keep the smallest id */
	}
	return best ? best->id : NULL;
}

void core_dir_count_move(struct core_directory *dir, const char *from, const char *to)
{
	struct staff *s;
	if (from && (s = find_staff(dir, from)) != NULL && s->active_cases > 0)
		s->active_cases--;
	if (to && (s = find_staff(dir, to)) != NULL)
		s->active_cases++;
}

int core_dir_set_staff_status(struct core_directory *dir, const char *id, const char *status)
{
	struct staff *s = find_staff(dir, id);
	char *copy = s ? strdup(status) : NULL;
	if (copy == NULL)
		return -1;
	free(s->status);
	s->status = copy;
	return 0;
}
