package dev.portcullis.bastion;

import java.util.concurrent.CountDownLatch;

/** {@code java -cp ... dev.portcullis.bastion.BastionMain}: a bastion process configured by environment variables. */
public final class BastionMain {

    private BastionMain() {}

    public static void main(String[] args) throws Exception {
        BastionSettings settings;
        try {
            settings = BastionSettings.fromEnvironment(System.getenv());
        } catch (IllegalArgumentException e) {
            System.err.println("portcullis bastion: " + e.getMessage());
            System.exit(64);
            return;
        }
        Bastion bastion;
        try {
            bastion = Bastion.start(settings);
        } catch (java.io.IOException | IllegalArgumentException | IllegalStateException e) {
            System.err.println("portcullis bastion: cannot start: " + e.getMessage());
            System.exit(1);
            return;
        }
        System.out.println("portcullis bastion listening on " + settings.listenHost() + ":" + bastion.port());
        CountDownLatch stop = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            bastion.close();
            stop.countDown();
        }));
        stop.await();
    }
}
