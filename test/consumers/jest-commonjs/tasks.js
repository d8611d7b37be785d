// A CommonJS task module: the threads import it, and find its exports.
exports.double = (x) => x * 2;
