package dev.portcullis.broker;

import dev.portcullis.local.LocalPostgres;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;

/** The tests' stand-in for whoever administers the broker's database: the superuser, able to switch triggers off. */
public final class DatabaseAdmin {

    private DatabaseAdmin() {}

    public static Connection superuser() throws Exception {
        LocalPostgres pg = LocalPostgres.shared();
        return DriverManager.getConnection(pg.jdbcUrl(BrokerTestEnvironment.DATABASE), pg.superuser(), pg.password());
    }

    /** An attacker with database superuser rights can switch triggers off; the hash chain still tells. */
    public static void tamper(Connection db, String sql) throws Exception {
        try (Statement s = db.createStatement()) {
            s.execute("set session_replication_role = replica");
            s.execute(sql);
            s.execute("set session_replication_role = origin");
        }
    }
}
