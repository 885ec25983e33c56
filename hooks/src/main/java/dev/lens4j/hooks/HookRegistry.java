package dev.lens4j.hooks;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;

/**
 * A model's own hooks, which fire on every forward pass of that model (TransformerLens's
 * {@code add_hook}, {@code add_perma_hook} and {@code reset_hooks}).
 *
 * <p>Hooks for a single call belong in that call ({@code runWithHooks}); use the registry for hooks
 * that should stay, and scope temporary ones with try-with-resources:
 *
 * <pre>{@code
 * try (HookHandle h = model.hooks().add("blocks.0.attn.hook_pattern", Hook.observe(p -> patterns.add(p)))) {
 *     model.forward(tokens);
 * }
 * }</pre>
 *
 * <p>Registration is thread-safe. A forward pass takes a {@link #snapshot()} when it starts, so adding
 * or removing hooks while another thread runs the model affects only later passes. Hooks fire in the
 * order they were added.
 */
public final class HookRegistry {

    private final Set<String> knownNames;
    /** The same names in the model's order, for messages. */
    private final List<String> orderedNames;
    /** Names the model lacks only because a switch is off, each with why and how to get it. */
    private final Map<String, String> switchedOff;
    private final CopyOnWriteArrayList<Entry> entries = new CopyOnWriteArrayList<>();
    /** Why hooks can no longer be added (the model is closed), or null while they can. */
    private volatile String closedBecause;

    /**
     * A registry that checks exact names against a model's hook points.
     *
     * @param knownNames every hook point name of the model; an exact name outside this set is refused
     */
    public HookRegistry(Collection<String> knownNames) {
        this(knownNames, Map.of());
    }

    /**
     * A registry that checks exact names against a model's hook points, and explains the points the model
     * leaves out because an option is off (TransformerLens's {@code use_attn_result}, ...).
     *
     * @param knownNames every hook point name of the model; an exact name outside this set is refused
     * @param switchedOff names the model does not have only because an option is off, each with a sentence
     *                    saying which and how to turn it on (the message that refuses such a name ends with it)
     */
    public HookRegistry(Collection<String> knownNames, Map<String, String> switchedOff) {
        this.knownNames = knownNames == null ? null : Set.copyOf(knownNames);
        this.orderedNames = knownNames == null ? null : List.copyOf(knownNames);
        this.switchedOff = Map.copyOf(switchedOff);
    }

    /** A registry that accepts any name. */
    public HookRegistry() {
        this(null);
    }

    /**
     * Adds a hook on one hook point.
     *
     * @param name the TransformerLens name, e.g. {@code "blocks.0.hook_resid_pre"}
     * @param hook the hook
     * @return a handle; close it to remove the hook
     * @throws IllegalArgumentException if the model has no hook point of that name (the message lists close names)
     * @throws IllegalStateException if the registry was closed (its model is closed)
     */
    public HookHandle add(String name, Hook hook) {
        return register(HookSpec.of(checkName(name), hook), false);
    }

    /**
     * Adds a hook on every hook point whose name the filter accepts.
     *
     * @param filter the name filter, e.g. {@code n -> n.endsWith("hook_z")}
     * @param hook the hook
     * @return a handle; close it to remove the hook
     */
    public HookHandle add(Predicate<String> filter, Hook hook) {
        return register(HookSpec.matching(filter, hook), false);
    }

    /**
     * Adds a hook that {@link #reset()} leaves in place (TransformerLens's {@code add_perma_hook}).
     *
     * @param name the hook point name
     * @param hook the hook
     * @return a handle; closing it still removes the hook
     */
    public HookHandle addPermanent(String name, Hook hook) {
        return register(HookSpec.of(checkName(name), hook), true);
    }

    /**
     * Adds a permanent hook on every hook point whose name the filter accepts.
     *
     * @param filter the name filter
     * @param hook the hook
     * @return a handle; closing it still removes the hook
     */
    public HookHandle addPermanent(Predicate<String> filter, Hook hook) {
        return register(HookSpec.matching(filter, hook), true);
    }

    /**
     * Adds a backward hook on one hook point: it runs on the gradient with respect to that point's
     * activation whenever a backward pass runs (TransformerLens's {@code add_hook(name, fn, dir="bwd")}).
     *
     * @param name the TransformerLens name
     * @param hook the hook, given the gradient
     * @return a handle; close it to remove the hook
     * @throws IllegalArgumentException if the model has no hook point of that name
     */
    public HookHandle addBackward(String name, Hook hook) {
        return register(HookSpec.backward(checkName(name), hook), false);
    }

    /**
     * Adds a backward hook on every hook point whose name the filter accepts.
     *
     * @param filter the name filter
     * @param hook the hook, given each gradient
     * @return a handle; close it to remove the hook
     */
    public HookHandle addBackward(Predicate<String> filter, Hook hook) {
        return register(HookSpec.backwardMatching(filter, hook), false);
    }

    /**
     * Adds a hook given as a spec.
     *
     * @param spec the spec
     * @return a handle
     */
    public HookHandle add(HookSpec spec) {
        if (spec == null) {
            throw new IllegalArgumentException("hook spec is null; make one with HookSpec.of(name, hook)");
        }
        if (spec.name() != null) {
            checkName(spec.name());
        }
        return register(spec, false);
    }

    /** Removes every hook that is not permanent (TransformerLens's {@code reset_hooks()}). */
    public void reset() {
        for (Entry e : entries) {
            if (!e.permanent) {
                e.close();
            }
        }
    }

    /** Removes every hook, permanent ones too. */
    public void resetAll() {
        for (Entry e : entries) {
            e.close();
        }
    }

    /**
     * Returns the registered hooks in the order they fire (an immutable copy).
     *
     * @return the registered hooks in the order they fire (an immutable copy)
     */
    public List<HookSpec> snapshot() {
        List<HookSpec> out = new ArrayList<>(entries.size());
        for (Entry e : entries) {
            out.add(e.spec);
        }
        return List.copyOf(out);
    }

    /**
     * Returns the number of registered hooks.
     *
     * @return the number of registered hooks
     */
    public int size() {
        return entries.size();
    }

    /**
     * Returns true when no hook is registered.
     *
     * @return true when no hook is registered
     */
    public boolean isEmpty() {
        return entries.isEmpty();
    }

    /**
     * Checks an exact hook point name against the model's names.
     *
     * @param name the name
     * @return the name
     * @throws IllegalArgumentException if the registry knows its model's names and this is not one of them
     */
    public String checkName(String name) {
        if (name == null) {
            throw new IllegalArgumentException("hook point name is null");
        }
        if (knownNames != null && !knownNames.contains(name)) {
            String off = switchedOff.get(name);
            throw new IllegalArgumentException("no hook point named '" + name + "'"
                    + (off != null ? "; " + off : Names.closeNamesHint(name, orderedNames)));
        }
        return name;
    }

    /**
     * Refuses every hook added from now on, for a model that was closed: a hook added to it would
     * never fire. Hooks already added stay (no pass runs them).
     *
     * @param reason why, for the exception's message ({@code "model gpt2 is closed"})
     */
    public void close(String reason) {
        closedBecause = reason == null ? "the registry is closed" : reason;
    }

    private HookHandle register(HookSpec spec, boolean permanent) {
        String closed = closedBecause;
        if (closed != null) {
            throw new IllegalStateException("cannot add " + spec + ": " + closed);
        }
        Entry e = new Entry(spec, permanent);
        entries.add(e);
        return e;
    }

    private final class Entry implements HookHandle {
        private final HookSpec spec;
        private final boolean permanent;

        Entry(HookSpec spec, boolean permanent) {
            this.spec = spec;
            this.permanent = permanent;
        }

        @Override
        public HookSpec spec() {
            return spec;
        }

        @Override
        public boolean isActive() {
            return entries.contains(this);
        }

        @Override
        public void close() {
            entries.remove(this);
        }

        @Override
        public String toString() {
            return (permanent ? "permanent " : "") + spec;
        }
    }
}
