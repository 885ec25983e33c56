/**
 * Implementation shared by the report module's packages (page files and inlined resources); not
 * exported.
 */
package dev.lens4j.report.internal;
