package dev.portcullis.bastion.db;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.bastion.upstream.DatabaseTarget;
import dev.portcullis.bastion.upstream.UpstreamTls;
import dev.portcullis.local.LocalPostgres;
import java.io.IOException;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * What the pool keeps and for how long, against real server connections: nothing opened under other settings for its
 * target (a changed address, password, TLS or read-only roles in the inventory), nothing past its bounds.
 */
class UpstreamPoolTest {

    static LocalPostgres pg;
    static final String ROLE = "pool_probe";
    static String password;

    @BeforeAll
    static void start() {
        pg = LocalPostgres.shared();
        password = UUID.randomUUID().toString();
        pg.createRole(ROLE, password);
    }

    private static DatabaseTarget target(String password) {
        return new DatabaseTarget(
                "prod-db", "127.0.0.1", pg.port(), "postgres", Map.of(ROLE, password), Set.of(), UpstreamTls.OFF);
    }

    private static PgUpstream login() throws IOException {
        return PgUpstream.connect(
                "127.0.0.1",
                pg.port(),
                UpstreamTls.OFF,
                Map.of("user", ROLE, "database", "postgres"),
                password,
                Duration.ofSeconds(10),
                s -> {});
    }

    private static final UpstreamPool.Key KEY = new UpstreamPool.Key("prod-db", ROLE, false, "postgres", Map.of());

    private static DatabaseProxy.Options.Pool settings(int perKey, Duration idle) {
        return new DatabaseProxy.Options.Pool(10, perKey, idle, Duration.ofHours(1), Duration.ofSeconds(10));
    }

    @Test
    void aConnectionIsHandedOutAgainOnlyForTheSameKeyAndSettings() throws Exception {
        try (UpstreamPool pool = new UpstreamPool(settings(2, Duration.ofMinutes(1)))) {
            DatabaseTarget settings = target(password);
            PgUpstream up = login();
            assertThat(ServerReset.await(sendReset(up), false, ROLE)).isNull();
            pool.give(KEY, settings, Optional.of(settings), up);
            UpstreamPool.Key otherRole = new UpstreamPool.Key("prod-db", "other", false, "postgres", Map.of());
            assertThat(pool.take(otherRole, settings)).isNull();
            assertThat(pool.take(new UpstreamPool.Key("prod-db", ROLE, true, "postgres", Map.of()), settings))
                    .isNull();
            assertThat(pool.idle()).isEqualTo(1);
            UpstreamPool.Lease lease = pool.take(KEY, settings);
            assertThat(lease.upstream()).isSameAs(up);
            assertThat(lease.check()).isFalse();
            up.close();
        }
    }

    @Test
    void changedSettingsForTheTargetCloseWhatWasKept() throws Exception {
        try (UpstreamPool pool = new UpstreamPool(settings(2, Duration.ofMinutes(1)))) {
            DatabaseTarget before = target(password);
            DatabaseTarget after = target("a new password");
            PgUpstream taken = login();
            pool.give(KEY, before, Optional.of(before), taken);
            assertThat(pool.take(KEY, after))
                    .as("opened under the old settings")
                    .isNull();
            assertThat(taken.socket.isClosed()).isTrue();

            PgUpstream swept = login();
            pool.give(KEY, before, Optional.of(before), swept);
            pool.sweep(target -> Optional.of(after));
            assertThat(pool.idle()).isZero();
            assertThat(swept.socket.isClosed()).isTrue();

            PgUpstream refused = login();
            pool.give(KEY, before, Optional.of(after), refused);
            assertThat(pool.idle())
                    .as("not kept when the settings changed while it was in use")
                    .isZero();
            assertThat(refused.socket.isClosed()).isTrue();

            PgUpstream removed = login();
            pool.give(KEY, before, Optional.empty(), removed);
            assertThat(removed.socket.isClosed())
                    .as("the target left the inventory")
                    .isTrue();
        }
    }

    @Test
    void thePoolIsBoundedInSizeAndIdleTime() throws Exception {
        try (UpstreamPool pool = new UpstreamPool(settings(1, Duration.ofMillis(200)))) {
            DatabaseTarget settings = target(password);
            PgUpstream first = login();
            PgUpstream second = login();
            pool.give(KEY, settings, Optional.of(settings), first);
            pool.give(KEY, settings, Optional.of(settings), second);
            assertThat(pool.idle()).isEqualTo(1);
            assertThat(second.socket.isClosed()).as("over the per-key bound").isTrue();
            for (int i = 0; i < 100 && pool.idle() > 0; i++) {
                Thread.sleep(50);
                pool.sweep(target -> Optional.of(settings));
            }
            assertThat(pool.idle()).isZero();
            assertThat(first.socket.isClosed()).as("idle too long").isTrue();
        }
    }

    @Test
    void aConnectionTheServerSpokeOnWhileIdleIsNotHandedOut() throws Exception {
        try (UpstreamPool pool = new UpstreamPool(settings(2, Duration.ofMinutes(1)))) {
            DatabaseTarget settings = target(password);
            PgUpstream up = login();
            pool.give(KEY, settings, Optional.of(settings), up);
            pg.sql("postgres", "select pg_terminate_backend(" + up.backendPid + ")");
            for (int i = 0; i < 100 && up.socket.getInputStream().available() == 0; i++) {
                Thread.sleep(50); // the server's FATAL message arrives
            }
            assertThat(pool.take(KEY, settings)).isNull();
            assertThat(up.socket.isClosed()).isTrue();
        }
    }

    private static PgUpstream sendReset(PgUpstream up) throws IOException {
        ServerReset.send(up, false);
        return up;
    }
}
