package dev.lens4j.testing;

import dev.lens4j.hooks.HookSpec;
import dev.lens4j.transformer.HookedTransformer;
import dev.lens4j.transformer.loading.Models;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionConfigurationException;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.junit.jupiter.api.extension.TestInstancePostProcessor;

import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The JUnit 5 extension behind {@link LensModel}: injects models into annotated fields (static ones
 * before {@code @BeforeAll}, instance ones when the test instance is created) and resolves annotated
 * parameters.
 *
 * <p>Models live in an {@link ExtensionContext.Store}: the root context's for
 * {@link LensModel.Scope#RUN}, the test class's for {@link LensModel.Scope#CLASS}. The store holds
 * each model in an {@link AutoCloseable} that JUnit closes when the context ends, so the model's
 * memory is released at the end of the run (or class). Loading goes through
 * {@code getOrComputeIfAbsent}, so a model is loaded once even when tests run in parallel. After
 * each test that took a run-wide model as a parameter, and after each test class with run-wide
 * model fields, the extension checks that no hook was left on the model's registry: leftover hooks
 * would silently change every later test's results, so they are removed and the test (or class)
 * fails, naming them.
 *
 * <p>Registered automatically by {@code @LensModel}; {@code @ExtendWith(LensModelExtension.class)}
 * on a class works too.
 */
public final class LensModelExtension implements BeforeAllCallback, TestInstancePostProcessor, ParameterResolver,
        AfterEachCallback, AfterAllCallback {

    /** The model loaded by {@code @LensModel} with neither a name nor a folder. */
    public static final String DEFAULT_MODEL = "induction-2l";

    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(LensModelExtension.class);
    private static final Pattern PROPERTY = Pattern.compile("\\$\\{([^}]+)}");

    /**
     * Where a model comes from (a name for {@code fromPretrained} or a folder), whether processed, and
     * its scope: a store's lookups fall back to its parent's, so without the scope a class-scoped
     * model would find the run-wide one.
     */
    private record ModelKey(String name, Path dir, boolean processing, LensModel.Scope scope) {
        @Override
        public String toString() {
            return (name != null ? "'" + name + "'" : "folder " + dir) + (processing ? "" : " without processing");
        }
    }

    /** A shared model; JUnit closes it when its store's context ends. */
    private record SharedModel(ModelKey key, HookedTransformer model) implements AutoCloseable {
        @Override
        public void close() {
            model.close();
        }
    }

    /** Public for JUnit, which instantiates extensions reflectively. */
    public LensModelExtension() {}

    // ------------------------------------------------------------------ fields

    @Override
    public void beforeAll(ExtensionContext context) {
        injectFields(context.getRequiredTestClass(), null, context);
    }

    @Override
    public void postProcessTestInstance(Object testInstance, ExtensionContext context) {
        injectFields(testInstance.getClass(), testInstance, context);
    }

    private void injectFields(Class<?> type, Object instance, ExtensionContext context) {
        for (Class<?> c = type; c != null && c != Object.class; c = c.getSuperclass()) {
            for (Field f : c.getDeclaredFields()) {
                LensModel ann = f.getAnnotation(LensModel.class);
                if (ann == null || Modifier.isStatic(f.getModifiers()) == (instance != null)) {
                    continue;
                }
                String where = "field " + c.getSimpleName() + "." + f.getName();
                if (!f.getType().isAssignableFrom(HookedTransformer.class)) {
                    throw new ExtensionConfigurationException("@LensModel on " + where + " of type " + f.getType().getName()
                            + ": the field must be a HookedTransformer");
                }
                if (Modifier.isFinal(f.getModifiers())) {
                    throw new ExtensionConfigurationException("@LensModel on " + where + ": the field must not be final");
                }
                SharedModel m = load(context, ann, where);
                if (ann.scope() == LensModel.Scope.RUN) {
                    used(context).add(m);
                }
                try {
                    f.setAccessible(true);
                    f.set(instance, m.model());
                } catch (ReflectiveOperationException | RuntimeException e) {
                    throw new ExtensionConfigurationException("cannot set @LensModel " + where + ": " + e, e);
                }
            }
        }
    }

    // ------------------------------------------------------------------ parameters

    @Override
    public boolean supportsParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
        if (!parameterContext.isAnnotated(LensModel.class)) {
            return false;
        }
        Class<?> type = parameterContext.getParameter().getType();
        if (!type.isAssignableFrom(HookedTransformer.class)) {
            throw new ParameterResolutionException("@LensModel on " + describe(parameterContext) + " of type " + type.getName()
                    + ": the parameter must be a HookedTransformer");
        }
        return true;
    }

    @Override
    public Object resolveParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
        LensModel ann = parameterContext.findAnnotation(LensModel.class).orElseThrow();
        SharedModel m;
        try {
            m = load(extensionContext, ann, describe(parameterContext));
        } catch (ExtensionConfigurationException e) {
            throw new ParameterResolutionException(e.getMessage(), e.getCause());
        }
        if (ann.scope() == LensModel.Scope.RUN) {
            used(extensionContext).add(m);
        }
        return m.model();
    }

    private static String describe(ParameterContext p) {
        String name = p.getParameter().isNamePresent() ? p.getParameter().getName() : "#" + p.getIndex();
        return "parameter " + name + " of " + p.getDeclaringExecutable().getDeclaringClass().getSimpleName()
                + (p.getDeclaringExecutable() instanceof java.lang.reflect.Constructor<?> ? " (constructor)"
                : "." + p.getDeclaringExecutable().getName() + "()");
    }

    // ------------------------------------------------------------------ leftover hooks

    @Override
    public void afterEach(ExtensionContext context) {
        checkNoHooksLeft(context, "test " + context.getDisplayName());
    }

    @Override
    public void afterAll(ExtensionContext context) {
        checkNoHooksLeft(context, "test class " + context.getRequiredTestClass().getSimpleName());
    }

    private void checkNoHooksLeft(ExtensionContext context, String who) {
        @SuppressWarnings("unchecked")
        Set<SharedModel> models = context.getStore(NAMESPACE).get(usedKey(context), Set.class);
        if (models == null) {
            return;
        }
        List<String> problems = new ArrayList<>();
        for (SharedModel m : models) {
            List<HookSpec> left = m.model().hooks().snapshot();
            if (!left.isEmpty()) {
                m.model().hooks().resetAll();
                problems.add(left.size() + (left.size() == 1 ? " hook" : " hooks") + " on the shared model "
                        + m.model().config().modelName() + " " + left);
            }
        }
        if (!problems.isEmpty()) {
            throw new AssertionError(who + " left " + String.join(" and ", problems) + "; they were removed so that later tests"
                    + " are not affected. Close each HookHandle (try-with-resources), pass hooks to runWithHooks for one call,"
                    + " or use @LensModel(scope = Scope.CLASS) for a model of the class's own");
        }
    }

    /** The run-wide models this context (a test method or a test class) was given. */
    private static Set<SharedModel> used(ExtensionContext context) {
        @SuppressWarnings("unchecked")
        Set<SharedModel> s = context.getStore(NAMESPACE).getOrComputeIfAbsent(usedKey(context),
                k -> java.util.Collections.synchronizedSet(new LinkedHashSet<SharedModel>()), Set.class);
        return s;
    }

    /** Per context, since a store's lookups fall back to its parent's. */
    private static String usedKey(ExtensionContext context) {
        return "used-models:" + context.getUniqueId();
    }

    // ------------------------------------------------------------------ loading

    private static SharedModel load(ExtensionContext context, LensModel ann, String where) {
        ModelKey key = key(ann, where);
        ExtensionContext owner = ann.scope() == LensModel.Scope.RUN ? context.getRoot() : classContext(context);
        try {
            return owner.getStore(NAMESPACE).getOrComputeIfAbsent(key, LensModelExtension::open, SharedModel.class);
        } catch (ExtensionConfigurationException e) {
            throw new ExtensionConfigurationException("@LensModel on " + where + ": " + e.getMessage(), e.getCause());
        }
    }

    private static SharedModel open(ModelKey key) {
        try {
            HookedTransformer model = key.name() != null
                    ? (key.processing() ? Models.fromPretrained(key.name()) : Models.fromPretrainedNoProcessing(key.name()))
                    : (key.processing() ? Models.fromPretrained(key.dir()) : Models.fromPretrainedNoProcessing(key.dir()));
            return new SharedModel(key, model);
        } catch (IOException | RuntimeException e) {
            throw new ExtensionConfigurationException("cannot load model " + key + ": " + e.getMessage(), e);
        }
    }

    private static ModelKey key(LensModel ann, String where) {
        String name = ann.value().strip();
        String dir = ann.dir().strip();
        if (!name.isEmpty() && !dir.isEmpty()) {
            throw new ExtensionConfigurationException("@LensModel on " + where + " names both a model ('" + name + "') and a folder ('"
                    + dir + "'); give one");
        }
        if (!dir.isEmpty()) {
            return new ModelKey(null, Path.of(expand(dir, where)).toAbsolutePath().normalize(), ann.processing(), ann.scope());
        }
        return new ModelKey(name.isEmpty() ? DEFAULT_MODEL : name, null, ann.processing(), ann.scope());
    }

    /** Replaces each {@code ${property}} by the system property's value. */
    static String expand(String text, String where) {
        Matcher m = PROPERTY.matcher(text);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String value = System.getProperty(m.group(1));
            if (value == null) {
                throw new ExtensionConfigurationException("@LensModel on " + where + ": folder '" + text + "' uses ${" + m.group(1)
                        + "}, but there is no system property " + m.group(1));
            }
            m.appendReplacement(out, Matcher.quoteReplacement(value));
        }
        m.appendTail(out);
        return out.toString();
    }

    /** The context of the innermost test class around this context. */
    private static ExtensionContext classContext(ExtensionContext context) {
        ExtensionContext c = context;
        while (c.getTestMethod().isPresent() && c.getParent().isPresent()) {
            c = c.getParent().get();
        }
        return c;
    }
}
