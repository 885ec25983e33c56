/**
 * A small induction experiment on lens4j's shipped model, as a main class (and, under src/test, as a
 * JUnit test and an integration test).
 */
package com.example.induction;
