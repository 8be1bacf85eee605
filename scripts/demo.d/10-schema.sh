# Demo step: bring the database schema up to date.
"$OVERGANG" migrate
