package dev.portcullis.bastion.db;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * ReadOnlyGuard, one case a line, no server: what a read grant may send, and what is refused with which reason. The
 * guard is defence in depth (the role's own privileges are the boundary, see ReadOnlyRoleCheck); these are the
 * statements that would take a session out of read-only mode or hide SQL where the guard cannot read it.
 */
@Tag("unit")
class ReadOnlyGuardTest {

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiterString = " ==> ", quoteCharacter = '`', nullValues = "ALLOWED", textBlock = """
            select count(*) from items                                 ==> ALLOWED
            show transaction_read_only                                 ==> ALLOWED
            show client_encoding                                       ==> ALLOWED
            select * from pg_settings where name = 'work_mem'          ==> ALLOWED
            select current_setting('standard_conforming_strings')      ==> ALLOWED
            begin read only                                            ==> ALLOWED
            select 'do' as call                                        ==> ALLOWED
            explain select 1                                           ==> ALLOWED
            declare c cursor with hold for select 1                    ==> ALLOWED
            prepare p as select 1                                      ==> ALLOWED
            reset all                                                  ==> ALLOWED
            copy items to stdout                                       ==> ALLOWED
            select 1 -- set default_transaction_read_only = off        ==> ALLOWED
            begin read write                                           ==> READ WRITE is not allowed
            select 1; set transaction read write                       ==> READ WRITE is not allowed
            SET SESSION CHARACTERISTICS AS TRANSACTION READ /* x */ WRITE ==> READ WRITE is not allowed
            set default_transaction_read_only = off                    ==> changing transaction_read_only
            select set_config('default_transaction_read_only', 'off', false) ==> set_config() is not allowed
            DO $$BEGIN EXECUTE 'SET default_transaction_' || 'read_only = off'; COMMIT; END$$ ==> DO is not allowed
            do language plpgsql $$begin null; end$$                    ==> DO is not allowed
            call touch()                                               ==> CALL is not allowed
            select query_to_xml('sel' || 'ect 1', true, false, '')     ==> query_to_xml() is not allowed
            select * from query_to_xmlschema('x', true, false, '')     ==> query_to_xmlschema() is not allowed
            select pg_catalog.ts_stat('select 1')                      ==> ts_stat() is not allowed
            update pg_settings set setting = 'off' where name = 'x'    ==> writing to pg_settings is not allowed
            with s as (update "pg_settings" set setting = 'x') select 1 ==> writing to pg_settings
            set client_encoding = 'SJIS'                               ==> changing client_encoding is not allowed
            set "client_encoding" to 'BIG5'                            ==> changing client_encoding is not allowed
            reset client_encoding                                      ==> changing client_encoding is not allowed
            set local names 'GBK'                                      ==> SET NAMES is not allowed
            set standard_conforming_strings = off                      ==> changing standard_conforming_strings
            set role app_admin                                         ==> SET ROLE is not allowed
            set (role                                                  ==> SET ROLE is not allowed
            set 'x' names                                              ==> SET NAMES is not allowed
            set session authorization app_admin                        ==> SET AUTHORIZATION is not allowed
            select lo_import('/etc/passwd')                            ==> lo_import() is not allowed
            select lo_export(1, '/tmp/x')                              ==> lo_export() is not allowed
            select lo_from_bytea(0, 'x')                               ==> lo_from_bytea() is not allowed
            copy items to program 'id'                                 ==> COPY ... PROGRAM is not allowed
            select dblink_exec('dbname=x', 'insert into t values (1)') ==> dblink_exec() is not allowed
            set U&"transaction\\005fread_only" = off                   ==> Unicode-escaped
            select $q$ set default_transaction_read_only = off $q$     ==> changing transaction_read_only
            """)
    void statements(String sql, String refusal) {
        if (refusal == null) {
            assertThat(ReadOnlyGuard.refusal(sql)).as(sql).isNull();
        } else {
            assertThat(ReadOnlyGuard.refusal(sql)).as(sql).isNotNull().startsWith(refusal);
        }
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiterString = " ==> ", quoteCharacter = '`', nullValues = "ALLOWED", textBlock = """
            do it now                                                  ==> ALLOWED
            call me maybe                                              ==> ALLOWED
            O'Brien                                                    ==> ALLOWED
            set default_transaction_read_only = off ==> a parameter value: changing transaction_read_only
            select set_config('x', 'y', false)      ==> a parameter value: set_config() is not allowed
            begin read write                                           ==> a parameter value: READ WRITE is not allowed
            set client_encoding to 'SJIS'                              ==> a parameter value: changing client_encoding
            update pg_settings set setting = 'x'                       ==> a parameter value: writing to pg_settings
            """)
    void bindValues(String value, String refusal) {
        if (refusal == null) {
            assertThat(ReadOnlyGuard.valueRefusal(value)).as(value).isNull();
        } else {
            assertThat(ReadOnlyGuard.valueRefusal(value)).as(value).isNotNull().startsWith(refusal);
        }
    }
}
