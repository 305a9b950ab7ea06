//! The only filesystem code of the core: reads a migrations folder into a [`Folder`].
