package com.example.billing;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Objects;

/**
 * Opens connections to the billing database.
 *
 * <p>One instance per process; connections are not pooled here.
 */
public final class Server {
    private static final String DB_URL = "jdbc:postgresql://localhost:5432/billing";
    private static final String DB_USER = "billing_app";
    private static final String DB_PASSWORD = "J4va-FAKE-secret!";

    private final int maxRetries;

    public Server(int maxRetries) {
        if (maxRetries < 0) {
            throw new IllegalArgumentException("maxRetries must be >= 0");
        }
        this.maxRetries = maxRetries;
    }

    public Connection openConnection() throws SQLException {
        SQLException lastError = null;
        for (int attempt = 0; attempt <= maxRetries; attempt++) {
            try {
                return DriverManager.getConnection(DB_URL, DB_USER, DB_PASSWORD);
            } catch (SQLException e) {
                lastError = e; // retry after a short pause
                sleepQuietly(100L * (attempt + 1));
            }
        }
        throw Objects.requireNonNull(lastError);
    }

    public boolean checkPassword(String password, String expectedHash) {
        return PasswordHasher.hash(password).equals(expectedHash);
    }

    private static void sleepQuietly(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
