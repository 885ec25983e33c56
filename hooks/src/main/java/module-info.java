/**
 * Hook points, hooks with scoped handles, and the activation cache: how lens4j lets a caller observe
 * and change every named intermediate value of a forward or backward pass.
 */
module dev.lens4j.hooks {
    requires transitive dev.lens4j.tensor;

    exports dev.lens4j.hooks;
}
