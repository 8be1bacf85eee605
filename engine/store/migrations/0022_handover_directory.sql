-- A daemon picks a new tovholder by the caseloads in its staff directory, which it reads
-- again when directory_version moves (any change to departments, staff or memberships) and
-- keeps up to date itself for the cases its own steps assign and close. A tovholder role a
-- person hands on through the API changed two caseloads the daemons did not know of, until
-- the next change to staff: the engine then kept giving new cases to the one who had just
-- taken others over. Such a handover is a tovholder_history row without an event (the
-- engine's own rows name the event they come from); it now moves the version too.
CREATE TRIGGER tovholder_handed_on AFTER INSERT ON tovholder_history
    FOR EACH ROW WHEN (NEW.event_id IS NULL) EXECUTE FUNCTION bump_directory_version();
